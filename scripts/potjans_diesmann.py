#!/usr/bin/env python3
"""Writes the Potjans & Diesmann (2014) cortical microcircuit as a crosscheck suite, at any
scale. Usage:

    python3 scripts/potjans_diesmann.py N_SCALING K_SCALING OUT_FILE [options]
      --seed S            simulation seed (default 55, the NEST example's)
      --background dc     DC input instead of Poisson background (the paper's alternative)
      --engines A,B       engines (default NEST,NEURON,Brian2)
      --presim MS         warm-up excluded from the statistics (default 500)
      --sim MS            simulated time after the warm-up (default 1000)
      --name NAME         suite name (default from the scaling)
      --checks-file F     append F (YAML) as the suite's checks section
      --published-full-scale TOL
                          check NEST's mean rates against the full-scale figures of NEST's
                          example (FULL_MEAN_RATES below), within TOL spikes/s
      --threads T         NEST threads (simulation.threads; default 1)

Without --checks-file or --published-full-scale, the suite checks only that every
population fires at 0-50 spikes/s (a quick look at a new scale).

The derived quantities follow NEST's PyNEST example (pynest/examples/Potjans_2014, NEST 3.x)
step for step, in numpy float64, so NEST runs the same numbers as its reference
implementation:

- population sizes round(N_full * N_scaling); synapse numbers
  round(log(1 - p) / log((n_pre n_post - 1) / (n_pre n_post)) * N_scaling * K_scaling),
  drawn by `fixed_total_number` with autapses and multapses;
- weights: PSPs (0.15 mV, inhibitory g = -4, L4e -> L2/3e doubled) turned into PSC amplitudes
  for iaf_psc_exp, divided by sqrt(K_scaling); normal per synapse with 10 % relative sd,
  redrawn to keep their sign; delays normal (1.5 ms excitatory, 0.75 ms inhibitory, 50 % sd),
  redrawn to at least half a step;
- the indegree scaling's lost mean input goes back as DC (full-scale rates x indegrees x PSCs,
  times 1 - sqrt(K_scaling), for recurrent and Poisson input);
- initial potentials normal per population ("optimized" V0 of the example);
- Poisson background bg_rate x round(K_ext x K_scaling) per cell, delay 1.5 ms; or DC.

Every number is written with Python's shortest round-trip repr, so the suite carries the exact
doubles NEST's example computes. Full scale (1, 1) is 77,169 neurons and ~0.3 billion
synapses: NEST needs ~15 GB and a few minutes there; see the README ("Cortical networks").
"""
import argparse
import math
import sys

import numpy as np

POPULATIONS = ["L23e", "L23i", "L4e", "L4i", "L5e", "L5i", "L6e", "L6i"]
FULL_NUM_NEURONS = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# Rates of the full-scale network (spikes/s), used only for the DC compensation of K scaling.
FULL_MEAN_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
CONN_PROBS = np.array(
    [
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
    ]
)
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE = 8.0
PSP_EXC_MEAN = 0.15
G = -4.0
WEIGHT_REL_STD = 0.1
DELAY_EXC, DELAY_INH, DELAY_REL_STD = 1.5, 0.75, 0.5
DELAY_POISSON = 1.5
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5
E_L, V_TH, V_RESET, T_REF = -65.0, -50.0, -65.0, 2.0
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]


def derive(n_scaling, k_scaling, poisson):
    prod = np.outer(FULL_NUM_NEURONS, FULL_NUM_NEURONS)
    with np.errstate(divide="ignore"):
        full_num_synapses = np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)
    num_neurons = np.round(FULL_NUM_NEURONS * n_scaling).astype(int)
    num_synapses = np.round(full_num_synapses * n_scaling * k_scaling).astype(int)
    ext_indegrees = np.round(K_EXT * k_scaling).astype(int)
    psp = np.zeros((8, 8))
    psp[:, 0::2] = PSP_EXC_MEAN
    psp[:, 1::2] = PSP_EXC_MEAN * G
    psp[0, 2] = PSP_EXC_MEAN * 2
    sub = 1.0 / (TAU_SYN - TAU_M)
    pre = TAU_M * TAU_SYN / C_M * sub
    frac = (TAU_M / TAU_SYN) ** sub
    psc_over_psp = 1.0 / (pre * (frac**TAU_M - frac**TAU_SYN))
    psc = psp * psc_over_psp
    psc_ext = PSP_EXC_MEAN * psc_over_psp
    dc = np.zeros(8) if poisson else BG_RATE * K_EXT * psc_ext * TAU_SYN * 0.001
    if k_scaling != 1:
        psc_new = psc / np.sqrt(k_scaling)
        psc_ext_new = psc_ext / np.sqrt(k_scaling)
        indegrees = full_num_synapses / FULL_NUM_NEURONS[:, np.newaxis]
        input_rec = np.sum(psc * indegrees * FULL_MEAN_RATES, axis=1)
        dc = dc + 0.001 * TAU_SYN * (1.0 - np.sqrt(k_scaling)) * input_rec
        if poisson:
            input_ext = psc_ext * K_EXT * BG_RATE
            dc += 0.001 * TAU_SYN * (1.0 - np.sqrt(k_scaling)) * input_ext
        psc, psc_ext = psc_new, psc_ext_new
    delays = np.zeros((8, 8))
    delays[:, 0::2] = DELAY_EXC
    delays[:, 1::2] = DELAY_INH
    return num_neurons, num_synapses, ext_indegrees, psc, psc_ext, dc, delays


def q(x, unit):
    """A quantity with the exact double: repr is Python's shortest round-trip form."""
    return f"{float(x)!r} {unit}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n_scaling", type=float)
    parser.add_argument("k_scaling", type=float)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=55)
    parser.add_argument("--background", choices=["poisson", "dc"], default="poisson")
    parser.add_argument("--engines", default="NEST,NEURON,Brian2")
    parser.add_argument("--presim", type=float, default=500.0)
    parser.add_argument("--sim", type=float, default=1000.0)
    parser.add_argument("--name")
    parser.add_argument("--checks-file", help="YAML text appended as the suite's checks section")
    parser.add_argument("--published-full-scale", type=float, metavar="TOL")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not (0 < args.n_scaling <= 1 and 0 < args.k_scaling <= 1):
        sys.exit("N_SCALING and K_SCALING must be in (0, 1]")
    poisson = args.background == "poisson"
    num_neurons, num_synapses, ext_indegrees, psc, psc_ext, dc, delays = derive(
        args.n_scaling, args.k_scaling, poisson
    )
    name = args.name or "potjans_diesmann_n{}_k{}".format(
        f"{args.n_scaling:g}".replace(".", "p"), f"{args.k_scaling:g}".replace(".", "p")
    )
    lines = [
        f"# Written by scripts/potjans_diesmann.py {args.n_scaling:g} {args.k_scaling:g} "
        f"(seed {args.seed}, {args.background} background).",
        "# Potjans & Diesmann (2014), Cereb. Cortex 24:785: the cell-type specific cortical",
        "# microcircuit, 8 populations of iaf_psc_exp cells in layers 2/3, 4, 5 and 6, with the",
        "# derived numbers of NEST's PyNEST example (see the script's documentation).",
        f"# {int(num_neurons.sum())} neurons, {int(num_synapses.sum())} synapses.",
        f"suite: {name}",
        "description: Potjans-Diesmann microcircuit, N_scaling {:g}, K_scaling {:g}, {} background".format(
            args.n_scaling, args.k_scaling, args.background
        ),
        f"engines: [{', '.join(e.strip() for e in args.engines.split(','))}]",
        "",
        "simulation:",
        f"  duration: {args.presim + args.sim:g} ms",
        "  dt: 0.1 ms",
        f"  seed: {args.seed}",
        f"  threads: {args.threads}",
        "  # Each simulator draws connections, weights, delays and initial potentials itself",
        "  # (NEST exactly as its reference implementation does).",
        "  connectivity: simulator",
        "",
        "populations:",
    ]
    for i, pop in enumerate(POPULATIONS):
        lines += [
            f"  {pop}:",
            "    cell: lif_curr_exp",
            f"    size: {int(num_neurons[i])}",
            "    parameters: {"
            + ", ".join(
                [
                    f"cm: {q(C_M, 'pF')}",
                    f"tau_m: {q(TAU_M, 'ms')}",
                    f"v_rest: {q(E_L, 'mV')}",
                    f"v_reset: {q(V_RESET, 'mV')}",
                    f"v_thresh: {q(V_TH, 'mV')}",
                    f"tau_refrac: {q(T_REF, 'ms')}",
                    f"tau_syn_E: {q(TAU_SYN, 'ms')}",
                    f"tau_syn_I: {q(TAU_SYN, 'ms')}",
                    f"i_offset: {q(dc[i], 'pA')}",
                ]
            )
            + ",",
            f"                 v_init: {{normal: {{mean: {q(V0_MEAN[i], 'mV')}, sd: {q(V0_STD[i], 'mV')}}}}}}}",
        ]
    lines += ["", "# Target-major, as the reference implementation connects (the order of the draws).", "projections:"]
    for i, target in enumerate(POPULATIONS):
        for j, source in enumerate(POPULATIONS):
            n = int(num_synapses[i][j])
            if n <= 0:
                # NEST's example still calls Connect with N = 0, which draws nothing.
                continue
            w = psc[i][j]
            receptor = "inhibitory" if w < 0 else "excitatory"
            lines.append(
                f"  - {{from: {source}, to: {target}, connector: {{fixed_total_number: {n}, allow_self_connections: true}}, "
                f"receptor: {receptor}, weight: {{normal: {{mean: {q(abs(w), 'pA')}, sd: {q(abs(w * WEIGHT_REL_STD), 'pA')}}}}}, "
                f"delay: {{normal: {{mean: {q(delays[i][j], 'ms')}, sd: {q(delays[i][j] * DELAY_REL_STD, 'ms')}}}}}}}"
            )
    if poisson:
        lines += ["", "stimuli:"]
        for i, pop in enumerate(POPULATIONS):
            lines.append(
                f"  - poisson: {{target: {pop}, rate: {q(BG_RATE * ext_indegrees[i], 'Hz')}, "
                f"weight: {q(psc_ext, 'pA')}, receptor: excitatory, delay: {q(DELAY_POISSON, 'ms')}}}"
            )
    lines += ["", "record:"]
    for pop in POPULATIONS:
        lines.append(f"  - {{population: {pop}, variables: [spikes]}}")
    if args.published_full_scale is not None:
        lines += [
            "",
            "checks:",
            "  published:",
            '    source: "full-scale mean rates of NEST\'s PyNEST microcircuit example (network_params.py, full_mean_rates)"',
            f"    start: {args.presim:g} ms",
            f"    tolerance: {args.published_full_scale!r} Hz",
            "    engines: [NEST]",
            "    mean_rate: {"
            + ", ".join(f"{pop}: {q(rate, 'Hz')}" for pop, rate in zip(POPULATIONS, FULL_MEAN_RATES))
            + "}",
        ]
    elif args.checks_file:
        lines += ["", open(args.checks_file).read().rstrip()]
    else:
        # Only loose rate ranges: a quick look at a new scale.
        lines += [
            "",
            "checks:",
            "  statistics:",
        ]
        for pop in POPULATIONS:
            lines.append(f"    - {{statistic: mean_rate, population: {pop}, min: 0 Hz, max: 50 Hz, start: {args.presim:g} ms}}")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}: {int(num_neurons.sum())} neurons, {int(num_synapses.sum())} synapses", file=sys.stderr)


if __name__ == "__main__":
    main()
