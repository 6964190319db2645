#!/usr/bin/env python3
"""Writes a Brunel (2000) suite at any size, for runs outside CI (the bundled suites in
suites/cortical are N_E = 2000). Usage:

    python3 scripts/brunel_scale.py REGIME N_E J_MV OUT_DIR [DURATION_MS]
    crosscheck run OUT_DIR -e NEST            # or several machines: crosscheck slurm emit OUT_DIR

REGIME is sr, ai, si_fast or si_slow (g and nu_ext/nu_thr of the paper's Fig. 8). The paper's
own network is N_E = 10000 with J = 0.1 mV; smaller networks keep J C_E = 100 mV with
J = 0.1 mV * 10000 / N_E (see suites/cortical/brunel_ai.crosscheck.yaml for why). The suite
keeps the regime's statistical criteria of the bundled suite, whose bounds were set at
N_E = 2000: at other sizes read the reported values rather than the verdicts. Measured here,
NEST 3.10, N_E = 10000, J = 0.1 mV, AI parameters, 600 ms: 39 s, 38.0 Hz, CV 0.41 (a finite
network closer to the fast-oscillation boundary than the N_E = 2000 one).
"""
import re
import sys
from pathlib import Path

REGIMES = {"sr": (3.0, 2.0), "ai": (5.0, 2.0), "si_fast": (6.0, 4.0), "si_slow": (4.5, 0.9)}


def main() -> int:
    if len(sys.argv) not in (5, 6) or sys.argv[1] not in REGIMES:
        print(__doc__, file=sys.stderr)
        return 2
    regime, n_e, j_mv, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    duration = float(sys.argv[5]) if len(sys.argv) == 6 else 600.0
    g, eta = REGIMES[regime]
    n_i, c_e = n_e // 4, n_e // 10
    c_i = c_e // 4
    # nu_thr = theta / (J C_E tau); each cell's external rate C_E eta nu_thr = eta theta / (J tau).
    drive_khz = eta * 20.0 / (j_mv * 20.0)
    bundled = Path(__file__).resolve().parent.parent / "suites/cortical" / f"brunel_{regime}.crosscheck.yaml"
    text = bundled.read_text()
    text = re.sub(r"duration: \d+ ms", f"duration: {duration:g} ms", text, count=1)
    text = text.replace("size: 2000", f"size: {n_e}").replace("size: 500", f"size: {n_i}")
    text = text.replace("fixed_indegree: 200", f"fixed_indegree: {c_e}")
    text = text.replace("fixed_indegree: 50,", f"fixed_indegree: {c_i},")
    text = re.sub(r"receptor: excitatory, weight: [0-9.]+ mV", f"receptor: excitatory, weight: {j_mv:g} mV", text)
    text = re.sub(r"receptor: inhibitory, weight: [0-9.]+ mV", f"receptor: inhibitory, weight: {g * j_mv:g} mV", text)
    text = re.sub(r"weight: [0-9.]+ mV, receptor: excitatory", f"weight: {j_mv:g} mV, receptor: excitatory", text)
    text = re.sub(r"rate: [0-9.]+ kHz", f"rate: {drive_khz:g} kHz", text)
    text = (
        f"# Written by scripts/brunel_scale.py: N_E = {n_e}, J = {j_mv:g} mV, drive {drive_khz:g} kHz\n"
        "# (the comments below describe the bundled N_E = 2000 suite it was made from).\n" + text
    )
    # A calibration blessed at N_E = 2000 does not describe another size.
    text = re.sub(r"\n  # Each simulator's per-neuron.*", "\n", text, flags=re.S)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"brunel_{regime}.crosscheck.yaml"
    path.write_text(text)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
