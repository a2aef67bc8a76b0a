"""Run every benchmark script (bench/bench_*.py) in its own process, one after the other.

`make bench` calls this. Each script prints its own Markdown table; a failing script is
reported and the others still run. Exit code 1 when any failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n## {script.stem}\n", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], check=False)
        print(f"\n({script.name}: {time.perf_counter() - start:.1f} s)", flush=True)
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nFallaron: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
