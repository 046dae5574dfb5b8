"""PyTorch reference for the bbb speed benchmark: Bayes by Backprop for an MLP.

It mirrors bbb's model and objective (DESIGN.md sections 1-2) so that the
two time the same work:

* MLP n0 -> hidden... -> K, relu on hidden layers, linear output.
* Every weight and bias ~ N(mu, sigma^2), sigma = softplus(rho); one weight
  sample per Monte Carlo sample per minibatch, w = mu + sigma * eps.
* Scale-mixture prior (pi = 0.5, s1 = 1, s2 = exp(-6)), KL by Monte Carlo:
  sum over all weights and biases of log q(w | theta) - log P(w).
* Minibatch i of M, batch size B, S samples: the optimiser (Adam, lr 1e-3)
  steps on loss = (1/S) sum_s [(1/M) (log q - log P) - log p(D_i | w_s)] / B.
* Families: binomial (BCE with logits), gaussian (learned log noise sd tau),
  multinomial (cross entropy with logits).
* Init: mu ~ N(0, 2 / fan_in) (He), rho = -5, bias mu = 0; tau = 0.

Usage:
  python3 torch_reference.py --config a|b|c --threads 1|2 \
      --dtype float32|float64 --reps R --warmup W [--steps N] [--blas-threads T]
  python3 torch_reference.py --check

Prints one JSON line with the wall time per unit (optimiser step for config
a, epoch for b and c) of each rep, their median, the median process CPU time
per unit, the 1-minute load average at the end and the peak RSS.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

CONFIGS = {
    # n, widths, family, batch size, MC samples, timing unit
    "a": dict(n=100, widths=[3, 32, 1], family="binomial", batch=100, S=2, unit="step"),
    "b": dict(n=10_000, widths=[8, 50, 1], family="gaussian", batch=32, S=1, unit="epoch"),
    "c": dict(n=60_000, widths=[784, 400, 400, 10], family="multinomial", batch=128, S=1,
              unit="epoch"),
}
STEPS_PER_REP_A = 200  # config a times this many steps per rep and divides

# Thread counts must be in the environment before torch is imported. Debian's
# torch calls the system BLAS (pthreads OpenBLAS), whose pool ignores
# torch.set_num_threads and defaults to all cores; next to torch's own OpenMP
# pool the two spin against each other (about 2x slower on 2 cores), so BLAS
# gets its own setting, default 1.
if __name__ == "__main__":
    _p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _p.add_argument("--config", choices=sorted(CONFIGS), default="a")
    _p.add_argument("--threads", type=int, default=1)
    _p.add_argument("--blas-threads", type=int, default=1,
                    help="OpenBLAS threads (its pool is separate from torch's)")
    _p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    _p.add_argument("--reps", type=int, default=5)
    _p.add_argument("--warmup", type=int, default=1)
    _p.add_argument("--steps", type=int, default=None,
                    help="time only N steps of an epoch and extrapolate (b, c)")
    _p.add_argument("--check", action="store_true",
                    help="train on learnable data and print loss and accuracy")
    ARGS = _p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.blas_threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
PRIOR_PI, PRIOR_S1, PRIOR_S2 = 0.5, 1.0, math.exp(-6)


def log_prior(w):
    """Scale-mixture log density, summed; logsumexp keeps it finite."""
    l1 = math.log(PRIOR_PI) - HALF_LOG_2PI - math.log(PRIOR_S1) - w**2 / (2 * PRIOR_S1**2)
    l2 = math.log(1 - PRIOR_PI) - HALF_LOG_2PI - math.log(PRIOR_S2) - w**2 / (2 * PRIOR_S2**2)
    return torch.logsumexp(torch.stack([l1, l2]), dim=0).sum()


class BayesLinear(nn.Module):
    """Linear layer with a factorised Gaussian posterior on weight and bias."""

    def __init__(self, n_in, n_out, rho_init=-5.0):
        super().__init__()
        self.w_mu = nn.Parameter(torch.randn(n_out, n_in) * math.sqrt(2 / n_in))
        self.w_rho = nn.Parameter(torch.full((n_out, n_in), rho_init))
        self.b_mu = nn.Parameter(torch.zeros(n_out))
        self.b_rho = nn.Parameter(torch.full((n_out,), rho_init))
        self.kl = None

    @staticmethod
    def _sample(mu, rho):
        sigma = F.softplus(rho)
        eps = torch.randn_like(mu)
        w = mu + sigma * eps
        # log q(w | mu, sigma) written with eps, so it is exact and cheap
        log_q = (-HALF_LOG_2PI - torch.log(sigma) - 0.5 * eps**2).sum()
        return w, log_q - log_prior(w)

    def forward(self, x):
        w, kl_w = self._sample(self.w_mu, self.w_rho)
        b, kl_b = self._sample(self.b_mu, self.b_rho)
        self.kl = kl_w + kl_b  # Monte Carlo log q - log P for this sample
        return F.linear(x, w, b)


class BayesMLP(nn.Module):
    def __init__(self, widths, family):
        super().__init__()
        self.layers = nn.ModuleList(
            BayesLinear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.family = family
        if family == "gaussian":
            self.tau = nn.Parameter(torch.zeros(()))  # log noise sd

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)

    def kl(self):
        return sum(layer.kl for layer in self.layers)

    def nll(self, eta, y):
        """-log p(D_i | w), summed over the batch."""
        if self.family == "binomial":
            return F.binary_cross_entropy_with_logits(eta.squeeze(1), y, reduction="sum")
        if self.family == "gaussian":
            r2 = (y - eta.squeeze(1)) ** 2
            return (HALF_LOG_2PI + self.tau + r2 / (2 * torch.exp(2 * self.tau))).sum()
        return F.cross_entropy(eta, y, reduction="sum")


def train_steps(model, opt, x, y, batch, S, max_steps=None):
    """One epoch of shuffled minibatches (or its first max_steps); mean loss."""
    n = x.shape[0]
    M = math.ceil(n / batch)
    perm = torch.randperm(n)
    total = 0.0
    for i in range(M if max_steps is None else min(M, max_steps)):
        idx = perm[i * batch:(i + 1) * batch]
        xb, yb = x[idx], y[idx]
        loss = 0.0
        for _ in range(S):
            eta = model(xb)
            loss = loss + model.kl() / M + model.nll(eta, yb)
        loss = loss / (S * xb.shape[0])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item()
    return total / (i + 1)


def make_data(cfg):
    n, n0, K = cfg["n"], cfg["widths"][0], cfg["widths"][-1]
    x = torch.randn(n, n0)
    if cfg["family"] == "binomial":
        y = torch.bernoulli(torch.full((n,), 0.6))
    elif cfg["family"] == "gaussian":
        y = torch.randn(n)
    else:
        y = torch.randint(K, (n,))
    return x, y


def benchmark(args):
    cfg = CONFIGS[args.config]
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(getattr(torch, args.dtype))
    torch.manual_seed(42)
    x, y = make_data(cfg)
    model = BayesMLP(cfg["widths"], cfg["family"])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    M = math.ceil(cfg["n"] / cfg["batch"])
    steps = args.steps if args.steps and args.config != "a" and args.steps < M else None

    def one_unit():
        """(wall, process CPU) seconds for one unit."""
        t0, c0 = time.perf_counter(), time.process_time()
        if args.config == "a":
            for _ in range(STEPS_PER_REP_A):
                train_steps(model, opt, x, y, cfg["batch"], cfg["S"])
            scale = 1 / STEPS_PER_REP_A
        else:
            train_steps(model, opt, x, y, cfg["batch"], cfg["S"], steps)
            scale = M / steps if steps else 1
        return (time.perf_counter() - t0) * scale, (time.process_time() - c0) * scale

    for _ in range(args.warmup):
        one_unit()
    times, cpu = zip(*[one_unit() for _ in range(args.reps)])
    out = {
        "config": args.config, "threads": args.threads,
        "blas_threads": args.blas_threads, "dtype": args.dtype,
        "unit": cfg["unit"], "times": times, "median": statistics.median(times),
        "cpu_median": statistics.median(cpu),
        "loadavg_1min": os.getloadavg()[0],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
    }
    if steps:
        out["extrapolated_from_steps"] = steps
    print(json.dumps(out))


def check(args):
    """Correctness check: learnable rules on config-a-like data, all families."""
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(getattr(torch, args.dtype))
    torch.manual_seed(1)
    n, epochs, batch = 500, 300, 50
    x = torch.randn(n, 3)
    rules = {
        "binomial": (x[:, 0] + x[:, 1] > 0).to(x.dtype),
        "gaussian": x[:, 0] + x[:, 1] + 0.1 * torch.randn(n),
        "multinomial": (x[:, 0] > 0).long() + (x[:, 1] > 0).long(),
    }
    ok = True
    for family, y in rules.items():
        K = 3 if family == "multinomial" else 1
        model = BayesMLP([3, 32, K], family)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = [train_steps(model, opt, x, y, batch, 2) for _ in range(epochs)]
        with torch.no_grad():  # posterior predictive mean over 50 draws
            eta = torch.stack([model(x) for _ in range(50)])
            if family == "binomial":
                pred = torch.sigmoid(eta).mean(0).squeeze(1) > 0.5
                name, value = "accuracy", (pred == (y > 0.5)).double().mean().item()
            elif family == "gaussian":
                name, value = "rmse", (eta.mean(0).squeeze(1) - y).pow(2).mean().sqrt().item()
            else:
                pred = torch.softmax(eta, -1).mean(0).argmax(1)
                name, value = "accuracy", (pred == y).double().mean().item()
        good = value < 0.3 if name == "rmse" else value > 0.9
        passed = good and losses[-1] < 0.5 * losses[0]
        ok = ok and passed
        traj = ", ".join(f"{losses[e]:.3f}" for e in range(0, epochs, 30))
        print(f"{family:12s} loss by 30 epochs: {traj}, {losses[-1]:.3f}")
        print(f"{'':12s} {name} {value:.3f}  {'PASS' if passed else 'FAIL'}")
    return ok


if __name__ == "__main__":
    if ARGS.check:
        sys.exit(0 if check(ARGS) else 1)
    benchmark(ARGS)
