"""lib.params: reading params.yaml and refusing bad values with a message naming them."""

import pytest

from lib import params


def test_load_params_reads_every_section(tmp_path):
    """A mapping of sections comes back as a dict."""
    file = tmp_path / "params.yaml"
    file.write_text("prepare:\n  seed: 3\nrequirements:\n  min_macro_f1: 0.9\n")
    assert params.load_params(file) == {"prepare": {"seed": 3}, "requirements": {"min_macro_f1": 0.9}}


def test_project_params_cover_every_rule_with_valid_values():
    """Every value in the project's params.yaml passes its rule."""
    for values in params.load_params().values():
        for name, value in values.items():
            if name in params.RULES:
                params.check(**{name: value})


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
