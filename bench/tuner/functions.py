"""Benchmark functions for the tuner: each a search space (AI Platform params), an objective to
minimise, and its known global minimum (so simple regret = best found - minimum).

Shifted variants move the domain (not the function), so the optimum sits elsewhere in the box:
an optimiser that favours the centre of the domain, or any fixed place, is caught out."""

import math

import numpy as np


def branin(x):
    x1, x2 = x["x1"], x["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
HARTMANN_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6_array(v):
    inner = np.sum(HARTMANN_A * (v[None, :] - HARTMANN_P) ** 2, axis=1)
    return float(-np.sum(HARTMANN_ALPHA * np.exp(-inner)))


def hartmann6(x):
    return hartmann6_array(np.array([x[f"x{i}"] for i in range(6)]))


def rosenbrock(x):
    v = [x[f"x{i}"] for i in range(4)]
    return sum(100 * (v[i + 1] - v[i] ** 2) ** 2 + (1 - v[i]) ** 2 for i in range(3))


def ackley(x):
    v = np.array([x[f"x{i}"] for i in range(5)])
    d = len(v)
    return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(v ** 2) / d))
                 - math.exp(np.sum(np.cos(2 * math.pi * v)) / d) + 20 + math.e)


MIXED_PENALTY = {"relu": 0.0, "tanh": 1.0, "sigmoid": 2.5}


def mixed(x):
    """Branin on two continuous parameters, a quadratic integer term with its optimum at 7, and a
    categorical penalty; the categorical also bends the continuous landscape a little."""
    bend = {"relu": 0.0, "tanh": 0.5, "sigmoid": -0.5}[x["act"]]
    return (branin({"x1": x["x1"] + bend, "x2": x["x2"]}) + 0.2 * (x["units"] - 7) ** 2
            + MIXED_PENALTY[x["act"]])


def double(name, low, high):
    return {"parameterName": name, "type": "DOUBLE", "minValue": low, "maxValue": high}


def boxes(count, low, high, shift=0.0):
    return [double(f"x{i}", low + shift, high + shift) for i in range(count)]


BRANIN_MIN = 0.39788735772973816
HARTMANN_MIN = -3.322368011415515


def problems():
    """name -> (params, objective, minimum)."""
    out = {
        "branin": ([double("x1", -5, 10), double("x2", 0, 15)], branin, BRANIN_MIN),
        "hartmann6": (boxes(6, 0, 1), hartmann6, HARTMANN_MIN),
        "rosenbrock4": (boxes(4, -2, 2), rosenbrock, 0.0),
        "ackley5": (boxes(5, -5, 5), ackley, 0.0),
        "mixed": ([double("x1", -5, 10), double("x2", 0, 15),
                   {"parameterName": "units", "type": "INTEGER", "minValue": 1, "maxValue": 10},
                   {"parameterName": "act", "type": "CATEGORICAL", "categoricalValues": ["relu", "tanh", "sigmoid"]}],
                  mixed, BRANIN_MIN),
        # The same functions on moved domains (each still holds a global minimum).
        "branin-shifted": ([double("x1", -2.5, 12.5), double("x2", -2, 13)], branin, BRANIN_MIN),
        "hartmann6-shifted": (boxes(6, 0, 1, shift=0.12), hartmann6, HARTMANN_MIN),
        "rosenbrock4-shifted": (boxes(4, -2, 2, shift=1.5), rosenbrock, 0.0),
        "ackley5-shifted": (boxes(5, -5, 5, shift=3.0), ackley, 0.0),
        "mixed-shifted": ([double("x1", -1, 14), double("x2", -3, 12),
                           {"parameterName": "units", "type": "INTEGER", "minValue": 5, "maxValue": 14},
                           {"parameterName": "act", "type": "CATEGORICAL", "categoricalValues": ["sigmoid", "tanh", "relu"]}],
                          mixed, BRANIN_MIN),
    }
    return out
