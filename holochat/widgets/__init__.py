"""The app's widgets, one per module: attributes down, messages up."""
