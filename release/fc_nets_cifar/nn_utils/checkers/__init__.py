"""One module of checkers per assignment."""
