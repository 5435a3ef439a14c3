import sys
from pathlib import Path

# synth.py (synthetic records and drawings) is a helper module beside the tests.
sys.path.insert(0, str(Path(__file__).parent))
