"""``Compare``: many Measurements as text tables, laid out character for character as PyTorch's."""
import enum
import itertools
import math

from . import common
from .common import _log10_float32

__all__ = ["Colorize", "Compare"]

# ANSI escapes: green, blue, dim red, red, bold, reset
BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


class _Column:
    """How one column's numbers are printed: a width and a number of decimals shared by all its cells."""

    def __init__(self, grouped_results, time_scale, trim_significant_figures, highlight_warnings):
        self._grouped_results = grouped_results  # per thread-count group, the column's cell of each row
        results = [r for r in itertools.chain.from_iterable(grouped_results) if r is not None]
        self._time_scale = time_scale
        self._trim_significant_figures = trim_significant_figures
        self._highlight_warnings = highlight_warnings and any(r.has_warnings for r in results)
        leading_digits = [math.ceil(_log10_float32(r.median / time_scale)) for r in results]
        if trim_significant_figures:
            # as many decimals as the most precise cell can use, never negative
            decimals = min(max(r.significant_figures - digits, 0) for r, digits in zip(results, leading_digits))
        else:
            decimals = 1
        width = max(leading_digits) + decimals + (1 if decimals else 0)
        # the second field holds a variance flag " (! 12%)" when warnings are highlighted
        self._template = f"{{:>{width}.{decimals}f}}{{:>{7 if self._highlight_warnings else 0}}}"

    def get_results_for(self, group):
        return self._grouped_results[group]

    def num_to_str(self, value, estimated_sigfigs, spread):
        if value is None:  # an empty cell is as wide as a filled one
            return " " * len(self.num_to_str(1, estimated_sigfigs, None))
        if self._trim_significant_figures:
            value = common.trim_sigfig(value, estimated_sigfigs)
        flag = f" (! {spread * 100:.0f}%)" if self._highlight_warnings and spread is not None else ""
        return self._template.format(value, flag)


class _Row:
    """One table row: a row name (after the env when it changes) and one cell per column."""

    def __init__(self, results, row_group, render_env, env_str_len, time_scale, colorize, num_threads=None):
        self._results = results
        self._row_group = row_group
        self._render_env = render_env
        self._env_str_len = env_str_len
        self._time_scale = time_scale
        self._colorize = colorize
        self._columns = ()
        self._num_threads = num_threads  # set on the first row of a thread-count group: it prints a separator

    def register_columns(self, columns):
        self._columns = columns

    def as_column_strings(self):
        first = next(r for r in self._results if r is not None)
        env = f"({first.env})" if self._render_env else ""
        cells = ["  " + env.ljust(self._env_str_len + 4) + first.as_row_name]
        for m, column in zip(self._results, self._columns):
            if m is None:
                cells.append(column.num_to_str(None, 1, None))
            else:
                spread = m.iqr / m.median if m.has_warnings else None
                cells.append(column.num_to_str(m.median / self._time_scale, m.significant_figures, spread))
        return cells

    @staticmethod
    def color_segment(segment, value, best_value):
        """Green within 1% (or 100 ns) of the best, blue within 10%, dim red from 2x, red from 5x."""
        if value <= best_value * 1.01 or value <= best_value + 100e-9:
            return BEST + BOLD + segment + TERMINATE * 2
        if value <= best_value * 1.1:
            return GOOD + BOLD + segment + TERMINATE * 2
        if value >= best_value * 5:
            return VERY_BAD + BOLD + segment + TERMINATE * 2
        if value >= best_value * 2:
            return BAD + segment + TERMINATE * 2
        return segment

    def row_separator(self, overall_width):
        return [] if self._num_threads is None else [f"{self._num_threads} threads: ".ljust(overall_width, "-")]

    def finalize_column_strings(self, column_strings, col_widths):
        if self._colorize == Colorize.ROWWISE:
            best_values = [min(r.median for r in self._results if r is not None)] * len(column_strings)
        elif self._colorize == Colorize.COLUMNWISE:
            # the best of the column within this row's thread-count group (None when all its cells are empty)
            best_values = [min((r.median for r in column.get_results_for(self._row_group) if r is not None),
                               default=None) for column in self._columns]
        else:
            best_values = [None] * len(column_strings)
        contents = [column_strings[0].ljust(col_widths[0])]
        for text, width, result, best in zip(column_strings[1:], col_widths[1:], self._results, best_values):
            text = text.center(width)
            if best is not None and result is not None:
                text = self.color_segment(text, result.median, best)
            contents.append(text)
        return contents


class Table:
    """The table of one label: rows by (num_threads, env, row name), columns by description."""

    def __init__(self, results, colorize, trim_significant_figures, highlight_warnings):
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results = results
        self._colorize = colorize
        self._trim_significant_figures = trim_significant_figures
        self._highlight_warnings = highlight_warnings
        self.label = results[0].label
        self.time_unit, self.time_scale = common.select_unit(min(r.median for r in results))
        self.row_keys = common.ordered_unique([self.row_fn(r) for r in results])
        self.row_keys.sort(key=lambda key: key[:2])  # by threads then env; a stable sort keeps statement order
        self.column_keys = common.ordered_unique([self.col_fn(r) for r in results])
        self.rows, self.columns = self.populate_rows_and_columns()

    @staticmethod
    def row_fn(m):
        return m.num_threads, m.env, m.as_row_name

    @staticmethod
    def col_fn(m):
        return m.description

    def populate_rows_and_columns(self):
        grid = [[None] * len(self.column_keys) for _ in self.row_keys]
        row_position = {key: i for i, key in enumerate(self.row_keys)}
        col_position = {key: j for j, key in enumerate(self.column_keys)}
        for r in self.results:
            grid[row_position[self.row_fn(r)]][col_position[self.col_fn(r)]] = r

        envs = {r.env for r in self.results}
        render_env = len(envs) > 1
        env_str_len = max(len(env) for env in envs) if render_env else 0

        rows, groups = [], []
        prior_threads, prior_env = -1, ""
        for (num_threads, env, _), cells in zip(self.row_keys, grid):
            new_group = num_threads != prior_threads
            if new_group:
                prior_threads, prior_env = num_threads, ""
                groups.append([])
            rows.append(_Row(cells, len(groups) - 1, render_env and env != prior_env, env_str_len, self.time_scale,
                             self._colorize, num_threads if new_group else None))
            groups[-1].append(cells)
            prior_env = env

        columns = tuple(
            _Column([tuple(cells[j] for cells in group) for group in groups], self.time_scale,
                    self._trim_significant_figures, self._highlight_warnings)
            for j in range(len(self.column_keys)))
        for row in rows:
            row.register_columns(columns)
        return tuple(rows), columns

    def render(self) -> str:
        string_rows = [[""] + self.column_keys] + [row.as_column_strings() for row in self.rows]
        num_cols = max(len(cells) for cells in string_rows)
        for cells in string_rows:
            cells.extend([""] * (num_cols - len(cells)))
        col_widths = [max(len(cell) for cell in column) for column in zip(*string_rows)]

        header = "  |  ".join(cell.center(width) for cell, width in zip(string_rows[0], col_widths))
        lines = [header]
        for cells, row in zip(string_rows[1:], self.rows):
            lines.extend(row.row_separator(len(header)))
            lines.append("  |  ".join(row.finalize_column_strings(cells, col_widths)))

        title = f" {self.label or ''} ".center(len(header) - 2, "-")
        text = f"[{title}]\n" + "\n".join(lines) + "\n\n"
        text += f"Times are in {common.unit_to_english(self.time_unit)}s ({self.time_unit}).\n"
        if self._highlight_warnings and any(r.has_warnings for r in self.results):
            text += "(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
        return text


class Compare:
    """Prints many Measurements as tables: ``print(Compare(results))`` or ``Compare(results).print()``.

    Replicates (equal TaskSpecs) are pooled first. There is one table per ``label``; its rows are the
    ``sub_label`` (else the statement) per thread count, with a separator line where the thread count
    changes and the env shown when several are present; its columns are the ``description``. All cells
    of a table share a unit, named at its foot.
    """

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results) -> None:
        """Adds more Measurements to the table (anything else raises ValueError)."""
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        """Prints each number to the significant figures its spread supports."""
        self._trim_significant_figures = True

    def colorize(self, rowwise=False) -> None:
        """Colours each cell against the fastest of its column (or, with ``rowwise=True``, of its row)."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        """Flags cells whose measurements vary a lot with their IQR as a percentage of the median."""
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self):
        by_label = {}
        for r in common.Measurement.merge(self._results):
            by_label.setdefault(r.label, []).append(r)
        return [Table(group, self._colorize, self._trim_significant_figures, self._highlight_warnings).render()
                for group in by_label.values()]
