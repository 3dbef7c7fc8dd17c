//! Motion kernels: frame differencing, binary morphology, labelling, background models, shake.
