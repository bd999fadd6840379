"""Pure demand-forecasting code (no Django): panels, features, the global LightGBM model,
baselines, sharding and reorder math."""
