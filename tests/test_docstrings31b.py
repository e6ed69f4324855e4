"""No public torchless function or Tensor method has a docstring that only points to the other form of the same
op ("See :func:`torchless.abs`." on Tensor.abs, "Function form of ``Tensor.abs``." on torchless.abs): each says
what it computes, the method and its function form in the one sentence of _tensor_docs's table."""
import re

import pytest

import torchless
from torchless import Tensor, _tensor_docs

# A docstring body that is nothing but a pointer to the other form of the op
POINTER = re.compile(r"(See :func:`[\w.]+`\.|Function form of ``Tensor\.\w+``\.)")

MIRRORS = [line.partition(" :: ")[::2] for line in _tensor_docs._entries(_tensor_docs._MIRRORS)]


def _body(doc):
    """The docstring without its leading signature line, if it has one."""
    first, _, rest = doc.strip().partition("\n\n")
    return rest.strip() if re.match(r"\w+\(.*\)", first) and rest else doc.strip()


def _public_functions():
    names = [name for name in dir(torchless) if not name.startswith("_")]
    return [(name, getattr(torchless, name)) for name in names
            if callable(getattr(torchless, name)) and not isinstance(getattr(torchless, name), type)]


def _public_methods():
    return [(name, getattr(Tensor, name)) for name in dir(Tensor)
            if not name.startswith("_") and callable(getattr(Tensor, name, None))]


def test_no_function_doc_is_only_a_pointer():
    pointers = [name for name, function in _public_functions()
                if function.__doc__ and POINTER.fullmatch(_body(function.__doc__))]
    assert pointers == []


def test_no_method_doc_is_only_a_pointer():
    pointers = [name for name, method in _public_methods()
                if method.__doc__ and POINTER.fullmatch(_body(method.__doc__))]
    assert pointers == []


def test_no_function_form_keeps_the_placeholder():
    assert [name for name, function in _public_functions()
            if "Function form of ``Tensor." in (function.__doc__ or "")] == []


@pytest.mark.parametrize("signature,meaning", MIRRORS, ids=[signature[:signature.index("(")]
                                                             for signature, _ in MIRRORS])
def test_method_and_function_say_the_same(signature, meaning):
    name = signature[:signature.index("(")]
    # (the method's doc says ``self`` for each "input": no other word may contain it)
    assert re.findall(r"\w*input\w*", meaning) == ["input"] * meaning.count("input")
    method_doc = getattr(Tensor, name).__doc__
    if method_doc.startswith(signature):  # (not a method documenting itself)
        assert method_doc == f"{signature}\n\n{meaning.replace('input', 'self')} See :func:`torchless.{name}`."
    function = getattr(torchless, name)
    arguments = signature[signature.index("(") + 1:]
    made = f"{name}(input{'' if arguments[0] == ')' else ', '}{arguments}\n\n{meaning}"
    if function.__doc__ != made:  # then it is the function's own (or none, when made lazily), not a pointer
        assert function.__doc__ is None or not POINTER.search(function.__doc__)


@pytest.mark.parametrize("name", ["abs_", "clamp_", "exp_", "sqrt_", "acos_", "index_put_"])
def test_in_place_function_forms_say_they_are_in_place(name):
    doc = getattr(torchless, name).__doc__
    assert doc.startswith(f"{name}(input")
    assert f"In-place ``{name[:-1]}``" in doc
    assert len(_body(doc)) > 80


def test_every_mirror_is_a_method_and_a_function():
    for signature, _ in MIRRORS:
        name = signature[:signature.index("(")]
        assert callable(getattr(Tensor, name)) and callable(getattr(torchless, name))


@pytest.mark.parametrize("name", ["orgqr", "eig", "lstsq", "solve", "symeig"])
def test_functions_made_lazily_get_their_docs(name):
    # (made by the package __getattr__ on first use, after attach_all ran)
    doc = getattr(torchless, name).__doc__
    assert doc and doc.startswith(f"{name}(input") and len(_body(doc)) > 40
