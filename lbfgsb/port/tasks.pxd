# Task strings: the Fortran's CHARACTER*60 ``task`` and ``csave``.
#
# The Fortran keeps its reverse-communication state in two CHARACTER*60
# variables, `task` and `csave`, compared with blank padding: `task .eq.
# 'START'` is true when the first five characters are START and the other 55
# are blanks, `task(1:5) .eq. 'FG_LN'` looks at a prefix only.  The port keeps
# those 60-byte, blank-padded buffers so that the state can be compared with
# the Fortran's byte for byte; these inline helpers are the two comparisons
# and the assignment.  (SciPy's integer codes for the same states: state.pyx.)

cpdef enum:
    TASK_LEN = 60


cdef inline void settask(char* task, const char* text) noexcept nogil:
    """task = 'text'   (Fortran assignment: copy, then pad with blanks)"""
    cdef int i = 0
    while i < TASK_LEN and text[i] != 0:
        task[i] = text[i]
        i += 1
    while i < TASK_LEN:
        task[i] = b' '
        i += 1


cdef inline bint task_starts(const char* task, const char* prefix) noexcept nogil:
    """task(1:k) .eq. 'prefix'   where k = len(prefix)"""
    cdef int i = 0
    while i < TASK_LEN and prefix[i] != 0:
        if task[i] != prefix[i]:
            return False
        i += 1
    return True


cdef inline bint task_eq(const char* task, const char* text) noexcept nogil:
    """task .eq. 'text'   (Fortran comparison: the shorter side blank padded)"""
    cdef int i = 0
    if not task_starts(task, text):
        return False
    while i < TASK_LEN and text[i] != 0:
        i += 1
    while i < TASK_LEN and task[i] == b' ':     # the rest of task: blanks only
        i += 1
    return i == TASK_LEN
