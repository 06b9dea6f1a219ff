"""`python -m lib.stability`: the claims' verdicts over many root seeds. Forwards to lib.framework.stability."""
import sys

from lib.framework.stability import main

if __name__ == "__main__":
    sys.exit(main())
