COMMENT
crosscheck cc_lif_delta: leaky integrate-and-fire with delta synapses, the update of NEST's
iaf_psc_delta step by step (exact propagator on the grid).

Fixed text written by crosscheck: suite values reach it only as RANGE parameters set from
the generated script. Units are NEST's (mV, ms, pA, pF). The membrane potential is the
mechanism's own variable vm (the host section is only a container); each time step,
advance() does what NEST does in one step:
  1. unless refractory: propagate vm exactly under the injected current, then add the
     weights (mV) of the spikes arriving at the end of this step, and of this step's
     Poisson drive; while refractory, arriving spikes are dropped (NEST's default),
  2. threshold: vm >= v_thresh emits a spike (spiked = 1) and clamps vm at v_reset for
     round(tau_refrac / dt) steps.
Spikes arrive in NET_RECEIVE one step early (the generated NetCon delays are the suite's
delay minus dt) and wait in in_v until step 1, which reproduces NEST's ring buffer.
NET_RECEIVE kinds: 0 and 1 synaptic (weights in mV, signed as in NEST), 2 a change of
injected current (pA) effective from this step on.

The Poisson drive (a `poisson` stimulus) adds drive_weight times a Poisson count of mean
drive_rate * dt each step, as NEST's poisson_generator does (one count per step and target,
sent with that multiplicity). Counts come from NEURON's scop_random generator, seeded once
by seed_drive(): the drive is statistically, not spike by spike, that of the other
simulators.
ENDCOMMENT

NEURON {
    POINT_PROCESS cc_lif_delta
    RANGE cm, tau_m, v_rest, v_reset, v_thresh, tau_refrac, i_offset, v_init
    RANGE drive_rate, drive_weight
    RANGE vm, i_stim, in_v, spiked, nspikes
}

PARAMETER {
    cm = 250 (pF)
    tau_m = 10 (ms)
    v_rest = -70 (mV)
    v_reset = -70 (mV)
    v_thresh = -55 (mV)
    tau_refrac = 2 (ms)
    i_offset = 0 (pA)
    v_init = -70 (mV)
    drive_rate = 0 (/ms)
    drive_weight = 0 (mV)
}

ASSIGNED {
    : NEURON's fixed time step, set by the generated script to the suite's dt.
    dt (ms)
    vm (mV)
    i_stim (pA)
    in_v (mV)
    spiked
    nspikes
    refr_left
    refr_steps
    p22
    p20
    drive_mean
}

INITIAL {
    vm = v_init
    i_stim = 0
    in_v = 0
    spiked = 0
    nspikes = 0
    refr_left = 0
    refr_steps = floor(tau_refrac / dt + 0.5)
    p22 = exp(-dt / tau_m)
    p20 = tau_m / cm * (1 - p22)
    drive_mean = drive_rate * dt
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    spiked = 0
    if (refr_left == 0) {
        vm = v_rest + p22 * (vm - v_rest) + p20 * (i_stim + i_offset) + in_v
        if (drive_mean > 0) {
            vm = vm + drive_weight * poisrand(drive_mean)
        }
    } else {
        refr_left = refr_left - 1
    }
    in_v = 0
    if (vm >= v_thresh) {
        refr_left = refr_steps
        vm = v_reset
        spiked = 1
        nspikes = nspikes + 1
    }
}

: Seeds the generator of every cc_lif_delta's Poisson drive (one stream for all cells).
FUNCTION seed_drive(seed) {
    set_seed(seed)
    seed_drive = seed
}

NET_RECEIVE(w, kind) {
    : Without this block NEURON would zero every weight element but the first at
    : finitialize, and every event would look excitatory.
    INITIAL {
        kind = kind
    }
    if (kind == 2) {
        i_stim = i_stim + w
    } else {
        in_v = in_v + w
    }
}
