import sys

from crucible_trainer.cli import main

sys.exit(main())
