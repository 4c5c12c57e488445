// Render: pictures people look at — heatmap grids over crops, skeleton overlays, training curves —
// encoded as PNG through the OpenCV bridge.
