"""Smoke test of an installed fastgd wheel: import, a fit, an optimizer step, a
minimize, and which SIMD path the CPU dispatch picked. Run from outside the source
tree so the installed package is what gets imported."""

import numpy as np

import fastgd

info = fastgd.show_config()
assert info["simd chosen"] in info["simd compiled"], info
assert "site-packages" in fastgd.__file__, fastgd.__file__

rng = np.random.default_rng(0)
X = rng.standard_normal((10_000, 8))
y = X @ np.arange(1.0, 9.0) + 2.0
fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", tol=1e-10)
assert fit.status == "converged", fit
assert np.allclose(fit.coef, np.arange(1.0, 9.0), atol=1e-6), fit
print("fit:", fit.status, fit.n_iter, "epochs, intercept", round(fit.intercept, 6))

params = np.ones(1000, dtype=np.float32)
fastgd.Adam(lr=0.1).step(params, np.ones(1000, dtype=np.float32))
assert np.allclose(params, 0.9), params[:3]
print("step: Adam moved float32 params 1.0 ->", params[0])

r = fastgd.minimize("rosenbrock", [-1.0, 1.0], optimizer="adam", lr=0.01, max_iter=20_000)
assert np.allclose(r.x, 1.0, atol=1e-3), r
print("minimize:", r.status, r.nit, "steps, x =", r.x)
# The explorer's page ships in the wheel (its web stack is an extra, not needed here).
from importlib import resources

static = resources.files("fastgd.explorer") / "static"
for page_file in ("index.html", "style.css", "js/main.js"):
    assert (static / page_file).is_file(), f"the wheel lacks fastgd/explorer/static/{page_file}"
print("explorer page: in the wheel")
print("smoke test passed")
