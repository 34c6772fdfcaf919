"""The benchmark scripts still run and print their JSON contract (speed targets are not asserted here)."""
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_gan_step_quick_prints_its_json_contract():
    proc = subprocess.run([sys.executable, str(BENCH / "gan_step.py"), "--quick"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"device", "engine_img_per_s", "reference_img_per_s", "ratio"} <= set(result)
    assert result["engine_img_per_s"] > 0 and result["reference_img_per_s"] > 0
    assert abs(result["ratio"] - result["engine_img_per_s"] / result["reference_img_per_s"]) < 2e-3
