"""The one exception the archive readers raise; the entry point turns it into the sentence twine
shows, naming the file (the readers do not know its name)."""


class ArchiveProblem(Exception):
    """What is wrong with an archive, as the end of a sentence: "it is truncated"."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem
