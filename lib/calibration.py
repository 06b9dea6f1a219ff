"""`python -m lib.calibration`: every claim's false-failure and false-support figures, stated against computed.

Forwards to lib.framework.calibration, collecting the claims from this project's claims/ folder."""
import sys
from pathlib import Path

from lib.framework.calibration import *  # noqa: F401,F403 (the command's names, for scripts that import this module)
from lib.framework.calibration import main

CLAIMS = Path(__file__).resolve().parents[1] / "claims"

if __name__ == "__main__":
    sys.exit(main(claims_folder=CLAIMS))
