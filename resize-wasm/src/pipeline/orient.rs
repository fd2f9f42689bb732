//! Step 4: apply the EXIF orientation, so the pixels stand the way the camera meant.

use image::DynamicImage;
use image::metadata::Orientation;

pub fn orient(image: &mut DynamicImage, orientation: Orientation) {
    image.apply_orientation(orientation);
}

/// Orientations 5-8 turn the image a quarter, swapping width and height.
pub fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}
