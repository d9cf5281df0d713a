"""Payment settings pages: the rate card, mileage rates, benefits thresholds and the wording of
the benefits letter."""
