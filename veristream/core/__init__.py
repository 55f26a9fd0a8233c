"""The core: the store (the log), the single writer, stories, the index and search.

It imports nothing above it: services (trends, vectors, answers, verification, notes,
operations) take a core and use its public methods; the application object composes them.
"""
