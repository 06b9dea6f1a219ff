"""`python -m lib.cache`: the experiment cache's size per kind, and --prune SIZE. Forwards to
lib.framework.cache_limit."""
import sys

from lib.framework.cache_limit import main

if __name__ == "__main__":
    sys.exit(main())
