"""lib.params: reading params.yaml and refusing bad values with a message naming them."""

import pytest

from lib import params, paths, preflight


def test_load_params_reads_every_section(tmp_path):
    """A mapping of sections comes back as a dict."""
    file = tmp_path / "params.yaml"
    file.write_text("prepare:\n  seed: 3\nrequirements:\n  min_macro_f1: 0.9\n")
    assert params.load_params(file) == {"prepare": {"seed": 3}, "requirements": {"min_macro_f1": 0.9}}


def test_project_params_have_a_rule_each_and_pass_it():
    """Every key of the project's params.yaml has its rule (keyed by section and name) and passes it; every rule
    has its key; the candidates' hyperparameters are checked too."""
    values = params.load_params()
    keys = {f"{section}.{name}" for section, entries in values.items() for name in entries}
    assert keys - {params.CANDIDATES_KEY} == set(params.RULES)
    hyperparameters = sum(len(h) for h in values["train"]["candidates"].values())
    assert preflight.check_file() == len(params.RULES) + hyperparameters


def test_dvc_yaml_passes_each_key_under_its_last_name():
    """dvc.yaml hands ``${section.name}`` to a lesson as ``-p name``: the notebook rule of that name is the key's."""
    import re  # noqa: PLC0415

    from tests.sandbox import WORKTREE  # noqa: PLC0415

    passed = re.findall(r"-p (\w+) \$\{([\w.]+)\}", (WORKTREE / "dvc.yaml").read_text(encoding="utf-8"))
    assert passed, "no -p NAME ${KEY} found in dvc.yaml"
    for name, key in passed:
        assert key in params.RULES and key.rsplit(".", 1)[1] == name, (name, key)
        assert params.NOTEBOOK_RULES[name].expected == params.RULES[key].expected


BAD_FILES = [
    pytest.param("train:\n  cv_fold: 5\n", "'train.cv_fold' is not a parameter; train has", id="typo-in-a-key"),
    pytest.param("prepare:\n  test_size: 1.5\n", "'prepare.test_size' is 1.5", id="value-out-of-range"),
    pytest.param("monitor: 3\n", "section 'monitor' must be a mapping", id="section-not-a-mapping"),
    pytest.param(
        "train:\n  candidates:\n    random_forest:\n      n_estimatorz: 200\n",
        "'train.candidates.random_forest'.*no hyperparameter \\['n_estimatorz'\\]",
        id="typo-in-a-hyperparameter",
    ),
    pytest.param(
        "train:\n  candidates:\n    random_forest:\n      max_depth: -8\n",
        "'train.candidates.random_forest'.*'max_depth' parameter of RandomForestClassifier must be",
        id="hyperparameter-out-of-range",
    ),
    pytest.param("train:\n  candidates:\n    svm: {}\n", "unknown candidate 'svm'", id="unknown-candidate"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_check_file_names_the_first_wrong_key(tmp_path, content, message):
    """Before any stage runs, a wrong key or value of params.yaml is refused with its full key and the fix."""
    file = tmp_path / "params.yaml"
    file.write_text(content)
    with pytest.raises(params.InvalidParameter, match=message):
        preflight.check_file(file)


def test_the_preflight_command_stops_with_exit_2_and_no_traceback(tmp_path, monkeypatch, capsys):
    """``python -m lib.preflight`` (make pipeline and make test run it first) prints the key and exits 2."""
    (tmp_path / "params.yaml").write_text("train:\n  candidates:\n    baseline: {strategy: sometimes}\n")
    monkeypatch.setenv(paths.ROOT_ENV_VAR, str(tmp_path))
    assert preflight.main() == 2
    err = capsys.readouterr().err
    assert "train.candidates.baseline" in err and "nothing has run" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- a\n- b\n", "must be a mapping of sections"),
        ("a: [unclosed\n", "is not valid YAML"),
    ],
)
def test_load_params_rejects_malformed_files(tmp_path, content, message):
    """A list or broken YAML is refused with a message saying what was expected."""
    file = tmp_path / "params.yaml"
    file.write_text(content)
    with pytest.raises(ValueError, match=message):
        params.load_params(file)


def test_load_params_missing_file_says_how_to_restore(tmp_path):
    """The error names the file and the command that restores it."""
    with pytest.raises(FileNotFoundError, match="git checkout -- params.yaml"):
        params.load_params(tmp_path / "params.yaml")


def test_stage_params_unknown_section_lists_the_known_ones(tmp_path):
    """Asking for a missing section names the sections that exist."""
    file = tmp_path / "params.yaml"
    file.write_text("prepare:\n  seed: 3\n")
    assert params.stage_params("prepare", file) == {"seed": 3}
    with pytest.raises(KeyError, match=r"no section 'train'.*\['prepare'\]"):
        params.stage_params("train", file)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("min_macro_f1", 0.95),
        ("min_macro_f1", 1),
        ("max_p99_latency_ms", 100),
        ("raw_source", "palmerpenguins"),
        ("raw_source", "data/external/delivery.csv"),
    ],
)
def test_check_accepts_valid_values(name, value):
    """Valid values come back unchanged."""
    assert params.check(**{name: value}) == {name: value}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("min_macro_f1", 1.5, "a number from 0.0 to 1.0"),
        ("min_macro_f1", "0.9", "a number from 0.0 to 1.0"),
        ("min_macro_f1", True, "a number from 0.0 to 1.0"),
        ("min_macro_f1", float("nan"), "a number from 0.0 to 1.0"),
        ("max_p99_latency_ms", -1, "a number from 0.1"),
        ("raw_source", "penguins.txt", "'palmerpenguins' or the path of a CSV export"),
    ],
)
def test_check_names_the_bad_parameter_and_what_it_expected(name, value, expected):
    """The message names the parameter, its value and the rule."""
    with pytest.raises(params.InvalidParameter) as error:
        params.check(**{name: value})
    assert f"parameter '{name}'" in str(error.value)
    assert expected in str(error.value)
    assert "params.yaml" in str(error.value)


def test_check_refuses_an_unknown_parameter():
    """A typo in a parameter name is caught, not silently ignored."""
    with pytest.raises(params.InvalidParameter, match="parameter 'min_macro_fl' is unknown"):
        params.check(min_macro_fl=0.9)


def test_rule_builders():
    """int_between, number_between (open and closed) and boolean draw the right lines."""
    assert params.int_between(1, 3).accepts(3) and not params.int_between(1, 3).accepts(4)
    assert not params.int_between(1, 3).accepts(2.0)
    assert params.number_between(0, 1).accepts(0)
    assert not params.number_between(0, 1, inclusive=False).accepts(0)
    assert params.boolean().accepts(False) and not params.boolean().accepts("false")


def test_check_namespace_checks_only_the_parameters_it_finds():
    """A notebook's globals: known parameters are checked, other names ignored, a bad value named."""
    assert params.check_namespace({"seed": 42, "test_size": 0.25, "raw": object(), "__name__": "x"}) is None
    with pytest.raises(params.InvalidParameter, match="parameter 'test_size' is 1.5"):
        params.check_namespace({"seed": 42, "test_size": 1.5})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("test_size", 1.5, "parameter 'test_size' is 1.5 (float), expected a number strictly between 0.0 and 1.0"),
        ("cv_folds", 1, "parameter 'cv_folds' is 1 (int), expected an integer from 2 to 20"),
        ("keep_serving", "maybe", "parameter 'keep_serving' is 'maybe' (str), expected true or false"),
    ],
)
def test_a_bad_value_from_papermill_is_named_with_what_was_expected(name, value, message):
    """What a lesson's check cell says of a bad ``-p`` value."""
    with pytest.raises(params.InvalidParameter) as refused:
        params.check_namespace({name: value})
    assert message in str(refused.value)
