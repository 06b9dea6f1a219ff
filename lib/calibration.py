"""`python -m lib.calibration`: every claim's false-failure and false-support figures, stated against computed.

Forwards to lib.framework.calibration, with every claim's calibration registered (lib.protocols.calibrations)."""
import sys

from lib.framework.calibration import *  # noqa: F401,F403 (the command's names, for scripts that import this module)
from lib.framework.calibration import main
from lib.protocols import calibrations  # noqa: F401 (registers every claim's calibration)

if __name__ == "__main__":
    sys.exit(main())
