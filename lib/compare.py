"""`python -m lib.compare EARLIER LATER`: what changed between two findings.json. Forwards to lib.framework.compare."""
import sys

from lib.framework.compare import main

if __name__ == "__main__":
    sys.exit(main())
