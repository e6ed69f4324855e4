"""PyTorch's argument parser where torchless needs its exact TypeErrors: a call that failed torchless's fast checks
is read again as PyTorch's parser would have read it, against the native schemas of the op.

Only reached when a call already failed the fast isinstance checks, so the hot paths never come here.

* ``_messages``: the parser's TypeErrors as it words them (wrong type, missing or surplus arguments, an invalid
  combination listing the overloads);
* ``_schema``: the parser itself, reading a call against native schemas;
* ``_operands``: the ops with an operand (arithmetic, comparisons, products, where, pow) and max / min;
* ``_overloads``: the tables of the Tensor methods' and function forms' overloads;
* ``_methods``: a Tensor method's failing call, read back as the user wrote it.
"""
from ._messages import (
    NOT_GIVEN, check_bool, check_bools, check_tensor_list, element_not_tensor, function_positions, in_place_named,
    invalid_combination, invalid_function_call, invalid_method_other, is_number_argument, is_operand,
    missing_arguments, not_tensor, too_many_positional, wrong_type,
)
from ._methods import (
    failure_parse, method_arguments, method_binding_error, method_error, name_native_methods, no_arguments_error,
    reduction_error, takes_no_arguments, word_binding_errors_as_the_parser, written_call, written_error,
)
from ._operands import (
    OPERAND_FUNCTIONS, arg_extremum_arguments, comparison_operand, extremum_arguments, function_error,
    function_operands_error, invalid_binary_function, invalid_binary_method, invalid_where, missing_operand,
    operand_as_written, refused_operand_call, refused_operand_error, takes_out, tensor_operand_error,
)
from ._overloads import (
    FUNCTION_FORM_OVERLOADS, FUNCTION_OVERLOADS, FUNCTION_PARSED_FIRST, MATRIX_NORM, METHOD_OVERLOADS,
    PARSED_ON_FAILURE, VECTOR_NORM, parsed_when_wrapped,
)
from ._schema import float_arguments, native_entry, parse, parse_overload

__all__ = [
    "FUNCTION_FORM_OVERLOADS", "FUNCTION_OVERLOADS", "FUNCTION_PARSED_FIRST", "MATRIX_NORM", "METHOD_OVERLOADS",
    "NOT_GIVEN", "OPERAND_FUNCTIONS", "PARSED_ON_FAILURE", "VECTOR_NORM", "arg_extremum_arguments", "check_bool",
    "check_bools", "comparison_operand",
    "check_tensor_list", "element_not_tensor", "extremum_arguments", "failure_parse", "float_arguments",
    "function_error", "function_operands_error", "function_positions", "in_place_named", "invalid_binary_function",
    "invalid_binary_method", "invalid_combination", "invalid_function_call", "invalid_method_other", "invalid_where",
    "is_number_argument", "is_operand", "method_arguments", "method_binding_error", "method_error",
    "missing_arguments", "missing_operand", "name_native_methods", "native_entry", "no_arguments_error",
    "not_tensor", "operand_as_written", "parse", "parse_overload", "parsed_when_wrapped", "reduction_error",
    "refused_operand_call", "refused_operand_error", "takes_no_arguments", "takes_out", "tensor_operand_error",
    "too_many_positional", "word_binding_errors_as_the_parser", "written_call", "written_error", "wrong_type",
]
