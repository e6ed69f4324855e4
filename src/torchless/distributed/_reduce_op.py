"""``ReduceOp``: how a collective combines the processes' tensors."""
import enum


class ReduceOp:
    """The reduction of a collective (``ReduceOp.SUM``, ...), its members PyTorch's ``RedOpType``."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

        def __str__(self):
            return f"RedOpType.{self.name}"


for _member in ReduceOp.RedOpType:
    setattr(ReduceOp, _member.name, _member)
