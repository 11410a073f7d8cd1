"""Synthetic learning curves for the early-stopping benchmark: a trial with hyperparameters x
trains for STEPS steps; its loss at step s falls from a start value towards a final loss
Hartmann-6(x) (a hard 6-D landscape), at a speed and from a height that also depend on x, with a
little seeded measurement noise. What the trial would reach at the end is known, so we can tell
whether the rule stopped a trial that would have been the best."""

import math
import random

import functions

STEPS = 100
REPORT_EVERY = 5


def curve_value(x, step, noise):
    final = functions.hartmann6(x)
    height = 1.0 + 1.5 * x["x0"]          # how far above its final loss a trial starts
    pace = 5.0 + 25.0 * x["x1"]           # how many steps it takes to get there
    return final + height * math.exp(-step / pace) + noise


def final_value(x):
    """Where the trial ends if it is never stopped (noise-free)."""
    return curve_value(x, STEPS, 0.0)


def noise(seed, trial_id, step):
    return random.Random(f"{seed}/{trial_id}/{step}").gauss(0.0, 0.01)
