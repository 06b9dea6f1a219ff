"""`python -m lib.bench`: the engine's speed on this machine. Forwards to lib.protocols.bench."""
import sys

from lib.protocols.bench import command

if __name__ == "__main__":
    sys.exit(command())
