"""Session/export name validation (sessions.names)."""

import pytest

from sessions.names import (MAX_NAME_LENGTH, InvalidNameError, check_name,
                            is_valid_name, name_problem)


@pytest.mark.parametrize("name", [
    "portrait", "portrait-1", "my_session.v2", "A", "20261204-101500-ab12",
    "x" * MAX_NAME_LENGTH,
])
def test_valid_names(name):
    assert is_valid_name(name)
    assert check_name(name) == name


@pytest.mark.parametrize("name, why", [
    ("", "empty"), ("   ", "empty"),
    ("../etc", "separator"), ("a/b", "separator"), ("a\\b", "separator"),
    ("..", "'..'"), ("a..b", "'..'"), (".hidden", "starts with '.'"),
    ("x" * (MAX_NAME_LENGTH + 1), "longer"),
    ("with space", "contains ' '"), ("nul\x00", "contains '\\x00'"),
    ("caf\u00e9", "contains '\\xe9'"), ("[bold]x[/bold]", "separator"),
    ("[bold]x", "contains '['"), ("a\u200bb", "contains '\\u200b'"),
])
def test_invalid_names(name, why):
    problem = name_problem(name)
    assert problem is not None and why in problem, problem
    with pytest.raises(InvalidNameError) as err:
        check_name(name)
    msg = str(err.value)
    assert "letters, digits" in msg
    assert "\x00" not in msg and "\n" not in msg


def test_non_string():
    assert not is_valid_name(None)
    with pytest.raises(InvalidNameError):
        check_name(3)
