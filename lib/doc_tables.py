"""`python -m lib.doc_tables [--check]`: the docs' generated tables, written anew. Forwards to
lib.framework.doc_tables."""
import sys

from lib.framework.doc_tables import main

if __name__ == "__main__":
    sys.exit(main())
