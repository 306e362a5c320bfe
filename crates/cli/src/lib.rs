//! veriff-mock command line.
