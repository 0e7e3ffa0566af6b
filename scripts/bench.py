import sys, pathlib; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # noqa
from experiments.bench.runner import main  # noqa: E402, I001
if __name__ == "__main__": sys.exit(main())  # noqa: E701
