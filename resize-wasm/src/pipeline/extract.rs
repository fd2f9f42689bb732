//! Step 5b: a `crop` chosen in the request is cut out of the decoded image before resampling, so
//! pixels around it take no part (sharp's `extract` before `resize`); the plans then count from
//! the cut-out's corner.

use image::DynamicImage;

use super::plan::{Choice, Plan};

/// Cuts `choice.area` (full-resolution pixels) out of `image`, decoded at 1/`scale`, on whole
/// decoded pixels, and moves `plans` to the cut-out's coordinates. Nothing to do without a crop.
pub fn extract(
    image: DynamicImage,
    scale: u32,
    source: (u32, u32),
    choice: &Choice,
    plans: &mut [Plan],
) -> DynamicImage {
    let [x, y, w, h] = choice.area;
    if [x, y, w, h] == [0, 0, source.0, source.1] {
        return image;
    }
    // A decoded pixel covers `scale` source pixels: keep every one the area touches.
    let (left, top) = (x / scale, y / scale);
    let right = (x + w).div_ceil(scale).min(image.width());
    let bottom = (y + h).div_ceil(scale).min(image.height());
    let origin = (f64::from(left * scale), f64::from(top * scale));
    for plan in plans {
        plan.crop[0] -= origin.0;
        plan.crop[1] -= origin.1;
    }
    image.crop_imm(left, top, right - left, bottom - top)
}
