"""Pure recommendation model code (numpy/scipy/pandas/implicit); no Django imports."""
