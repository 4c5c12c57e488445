// Render: pictures people look at — heatmap grids over crops, skeleton overlays, training curves —
// drawn on an RGB `Canvas` and encoded as PNG through the OpenCV bridge. Everything here works on
// plain buffers (crop bytes, heatmap floats, joint coordinates); where they come from (shards,
// predictions, a trainer's log) is the caller's business.
