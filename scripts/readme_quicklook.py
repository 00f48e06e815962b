"""Write README's quick-look block (forest figure and leaderboard excerpt) from a default run.

``--update`` copies the forest figure and the leaderboard of a finished default run into
``resources/readme/`` (the committed copies); every call then writes the block from those
copies (valueaudit.readme.quicklook); ``--check`` exits 1 if the block differs.

    python scripts/readme_quicklook.py --update   # after `snakemake --cores N`
    python scripts/readme_quicklook.py [--check]
"""

import argparse
import sys
from pathlib import Path

from valueaudit.readme import quicklook

ROOT = Path(__file__).resolve().parents[1]
COPIES = ROOT / "resources/readme"

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--update", action="store_true", help="copy the figure and table from results/")
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    a = ap.parse_args()
    current = quicklook(a.readme, COPIES, ROOT, a.results if a.update else None, check=a.check)
    sys.exit(0 if current or not a.check else 1)
