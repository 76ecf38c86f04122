"""Recipes (generators/recipes/*.toml): the shipped ones reproduce what each
shipped checkpoint's config records; every setting of every recipe builds;
--set, --show-recipe and the recorded recipe of a checkpoint."""

from __future__ import annotations

import dataclasses
import json

import pytest

from generators.training import kernel, recipes
from generators.weights import WEIGHTS_DIR

#: recorded per run, not per recipe: where it ran from, its time cap, paths
NOT_COMPARED = {"out", "resume", "progress", "echo", "time_limit_s", "init", "workers"}
RENAMED = {"save_every": "checkpoint_every"}      # the judge's option before the kernel


def _all() -> list[tuple[str, str]]:
    return [(m, n) for m in kernel.MODELS for n in recipes.names(m)]


def test_every_shipped_trained_model_has_a_recipe():
    shipped = {p.name for p in WEIGHTS_DIR.iterdir()
               if (p / "config.json").exists()
               and json.loads((p / "config.json").read_text())["model"] in kernel.MODELS}
    assert shipped and shipped == {f"{m}-{n}" for m, n in _all()}


@pytest.mark.parametrize("model,name", _all())
def test_the_shipped_recipe_reproduces_the_shipped_checkpoint(model, name):
    meta = json.loads((WEIGHTS_DIR / f"{model}-{name}" / "config.json").read_text())
    data = recipes.load(model, name)
    r = recipes.resolve(model, f"{name}:{data['shipped']}", sets=data.get("shipped_set", []))
    built = {k: v for inst in recipes.build_for(model, r)
             for k, v in dataclasses.asdict(inst).items()}
    compared = 0
    for k, v in meta["config"].items():          # the architecture (and its old training keys)
        if model == "judge" and k == "expression_map":   # the config's flag: the weight > 0
            assert bool(built[k]) == v
        elif k in built:
            assert built[k] == (tuple(v) if isinstance(v, list) else v), k
            compared += 1
    for k, v in (meta["extra"].get("train") or {}).items():
        k = RENAMED.get(k, k)
        if k in built and k not in NOT_COMPARED:
            assert built[k] == v, k
            compared += 1
    if not meta["extra"].get("train"):            # the DCGAN recorded only its step
        assert built["steps"] == meta["extra"]["step"]
    assert compared >= 5


@pytest.mark.parametrize("model,name", _all())
@pytest.mark.parametrize("setting", recipes.SETTINGS, ids=[f"on-{s}" for s in recipes.SETTINGS])
def test_every_setting_of_every_recipe_builds(model, name, setting):  # no GPU needed to build
    r = recipes.resolve(model, f"{name}:{setting}")
    assert r.values["device"] == ("cuda" if setting == "gpu" else "cpu")
    insts = recipes.build_for(model, r)
    assert any(isinstance(i, kernel.Loop) for i in insts)


def test_lease_jobs_are_recipes_with_overrides():
    from holochat.lease import JOBS
    for job in JOBS:
        for smoke in (False, True):
            args = job.args(smoke)
            sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
            r = recipes.resolve(job.model, args[1], sets=sets)
            recipes.build_for(job.model, r)


def test_set_and_the_errors_of_a_bad_one():
    r = recipes.resolve("judge", "faces:cpu", sets=["steps=7", "weights.smile=2", "lr=1e-4"])
    assert r.values["steps"] == 7 and r.values["lr"] == 1e-4
    assert r.values["weights"] == {"expression": 4.0, "hair_color": 2.0, "smile": 2}
    with pytest.raises(recipes.RecipeError, match="no class attribute smile"):
        recipes.build_for("judge", r)
    with pytest.raises(recipes.RecipeError, match="KEY=VALUE"):
        recipes.resolve("judge", "faces:cpu", sets=["steps"])
    with pytest.raises(recipes.RecipeError, match="there are: faces"):
        recipes.resolve("judge", "cats:cpu")
    with pytest.raises(recipes.RecipeError, match="cpu, gpu, smoke"):
        recipes.resolve("judge", "faces:tpu")
    with pytest.raises(recipes.RecipeError, match="unknown setting colour"):
        recipes.build_for("judge", recipes.resolve("judge", "faces:cpu", sets=["colour=1"]))
    assert recipes.parse_value("1e-3") == 1e-3 and recipes.parse_value("a,b") == "a,b"


def test_help_and_show_recipe(capsys):
    from holochat.cli import main
    for model in kernel.MODELS:
        with pytest.raises(SystemExit):
            main(["train", model, "--help"])
        options = [line for line in capsys.readouterr().out.splitlines()
                   if line.startswith("  --")]
        assert len(options) <= 8, (model, options)
    assert main(["train", "pix2pix", "--show-recipe", "l1-chairs:gpu"]) == 0
    out = capsys.readouterr().out
    assert "gan_weight = 0.0" in out and "batch = 256" in out and 'device = "cuda"' in out
    assert main(["train", "pix2pix", "--show-recipe", "dogs"]) == 2
    assert "no pix2pix recipe 'dogs'" in capsys.readouterr().err


def test_a_checkpoint_records_its_recipe_and_resumes_with_it(tmp_path, capsys):
    from holochat.cli import main
    out = tmp_path / "run"
    assert main(["train", "pix2pix", "--recipe", "chairs:smoke", "--out", str(out), "--steps",
                 "1", "--set", "n_train=4", "--set", "batch=2"]) == 0
    meta = json.loads((out / "config.json").read_text())
    assert meta["extra"]["recipe"]["name"] == "chairs:smoke"
    assert meta["extra"]["recipe"]["values"]["n_train"] == 4
    assert recipes.recorded(out).values["batch"] == 2
    assert main(["train", "pix2pix", "--out", str(out), "--steps", "2", "--resume"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 2


def test_lease_set_items_become_recipe_settings_or_options():
    from holochat.commands.lease import job_arguments
    jobs = ["textgan-faces", "judge-faces"]
    assert job_arguments(["textgan-faces:warmup=20000 --steps 9", "judge-faces:--set lr=1e-4",
                          "textgan-faces:perceptual=0.1"], jobs) == {
        "textgan-faces": ["--set", "warmup=20000", "--steps", "9", "--set", "perceptual=0.1"],
        "judge-faces": ["--set", "lr=1e-4"]}
    with pytest.raises(ValueError, match="JOB one of"):
        job_arguments(["dogs:lr=1"], jobs)


SHIPPED_JUDGE = "generators/weights/judge-faces"
FROM_SHIPPED_JUDGE = [s for s in recipes.SETTINGS
                      if recipes.resolve("judge", f"faces:{s}").values.get("init") == SHIPPED_JUDGE]


@pytest.mark.parametrize("setting", FROM_SHIPPED_JUDGE, ids=[f"on-{s}" for s in FROM_SHIPPED_JUDGE])
def test_a_judge_setting_that_starts_from_the_shipped_judge_keeps_its_readers(setting):
    """A start with a reader the setting lacks cannot load (the lease's judge job
    would fail at its first step): every setting that inits from the shipped judge
    asks for the readers it has, at their widths."""
    r = recipes.resolve("judge", f"faces:{setting}")
    shipped = json.loads((WEIGHTS_DIR / "judge-faces" / "config.json").read_text())["config"]
    built = {k: v for inst in recipes.build_for("judge", r)
             for k, v in dataclasses.asdict(inst).items()}
    for reader in ("expr_width", "eyewear_width"):
        assert built[reader] == shipped.get(reader, 0), reader
