# Every task correct, written as the reference solution; the proof is the model answer.
