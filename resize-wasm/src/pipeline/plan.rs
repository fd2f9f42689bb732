//! Step 5: decide each variant's geometry from the oriented source size alone: which part of
//! the source to keep, what size to resample it to, and where it sits on the output canvas.
//! Sharp's semantics for every fit, and for `withoutEnlargement`.

use super::smartcrop::Interest;
use crate::{Error, Fit, Position, Request, Variant};

/// Geometry of one variant, in oriented full-resolution source pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The kept area of the source: left, top, width, height.
    pub crop: [f64; 4],
    /// Size the kept area is resampled to.
    pub resized: (u32, u32),
    /// Output size; larger than `resized` only for `contain`, which pads.
    pub canvas: (u32, u32),
    /// Where the resampled area is placed on the canvas.
    pub offset: (u32, u32),
    /// `cover` with a strategy: the whole source is resampled to `resized`, which covers the
    /// canvas, and the canvas-sized window is chosen from its pixels (smartcrop.rs), as sharp does.
    pub smart: Option<Interest>,
}

impl Plan {
    /// How many source pixels each output pixel needs, as the source size to decode at least.
    pub fn needs_source(&self, source: (u32, u32)) -> (u32, u32) {
        let scale_x = f64::from(self.resized.0) / self.crop[2];
        let scale_y = f64::from(self.resized.1) / self.crop[3];
        let need = |side: u32, scale: f64| ((f64::from(side) * scale.min(1.0)).ceil() as u32).clamp(1, side);
        (need(source.0, scale_x), need(source.1, scale_y))
    }
}

/// One variant's turn in `schedule`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The variant (its index in the request).
    pub index: usize,
    /// The variant made earlier whose resampled pixels this one is resampled from, if any.
    pub from: Option<usize>,
    /// Whether a later variant is resampled from this one's pixels (so they are kept).
    pub kept: bool,
}

/// The order variants are made in, largest first, each resampled from the smallest variant
/// made before it that shows the same area at least twice its size each way, if there is one:
/// the seed's 200 from the 456 and its 75 from the 200, rather than from the decoded source. Lanczos3 over a
/// Lanczos3 result at half its size or less (the reducing gap libvips keeps for its box
/// average) scores the same or better than the box-then-Lanczos3 it replaces, for a third of
/// the samples (docs/decisions.md).
pub fn schedule(plans: &[Plan]) -> Vec<Step> {
    let area = |p: &Plan| u64::from(p.resized.0) * u64::from(p.resized.1);
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(area(&plans[i])));
    let mut steps: Vec<Step> = Vec::with_capacity(plans.len());
    for index in order {
        let from =
            steps.iter().map(|s| s.index).filter(|&j| plans[index].reduces(&plans[j])).min_by_key(|&j| area(&plans[j]));
        steps.push(Step { index, from, kept: false });
    }
    for i in 0..steps.len() {
        steps[i].kept = steps.iter().any(|s| s.from == Some(steps[i].index));
    }
    steps
}

impl Plan {
    /// Whether this plan's pixels can be resampled from `earlier`'s: the same area, at most half
    /// its size each way.
    fn reduces(&self, earlier: &Plan) -> bool {
        let half = |side: u32, of: u32| u64::from(side) * 2 <= u64::from(of);
        self.crop == earlier.crop && half(self.resized.0, earlier.resized.0) && half(self.resized.1, earlier.resized.1)
    }

    /// This plan in the pixels `earlier` resampled the area to (`schedule`'s `from`).
    pub fn within(&self, earlier: &Plan) -> Plan {
        Plan { crop: [0.0, 0.0, f64::from(earlier.resized.0), f64::from(earlier.resized.1)], ..*self }
    }
}

/// What the person chose in the request, checked against the oriented source's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    /// The part of the source every variant is made from: left, top, width, height.
    pub area: [u32; 4],
    /// The point cover crops centre on, if any.
    pub focus: Option<(u32, u32)>,
}

impl Choice {
    pub fn from_request(source: (u32, u32), request: &Request) -> Result<Self, Error> {
        let (sw, sh) = source;
        let area = match request.crop {
            None => [0, 0, sw, sh],
            Some([x, y, w, h]) => {
                let fits = |at: u32, len: u32, side: u32| len > 0 && u64::from(at) + u64::from(len) <= u64::from(side);
                if !(fits(x, w, sw) && fits(y, h, sh)) {
                    return Err(Error::InvalidRequest(format!(
                        "crop {x},{y},{w},{h} (left, top, width, height) is not inside the {sw}x{sh} source"
                    )));
                }
                [x, y, w, h]
            }
        };
        let focus = match request.focus {
            None => None,
            Some([x, y]) if x < sw && y < sh => Some((x, y)),
            Some([x, y]) => {
                return Err(Error::InvalidRequest(format!("focus {x},{y} is not inside the {sw}x{sh} source")));
            }
        };
        Ok(Self { area, focus })
    }

    /// The whole source, nothing chosen.
    pub fn whole(source: (u32, u32)) -> Self {
        Self { area: [0, 0, source.0, source.1], focus: None }
    }
}

pub fn plan(choice: &Choice, variant: &Variant) -> Plan {
    let [left, top, width, height] = choice.area;
    let (sw, sh) = (f64::from(width), f64::from(height));
    let (mut bw, mut bh) = (variant.width, variant.height);
    if variant.without_enlargement && variant.fit != Fit::Contain {
        // Sharp clamps the box to the source: the output may come out smaller than asked.
        // `contain` keeps the box and pads around the picture it does not enlarge.
        bw = bw.min(width);
        bh = bh.min(height);
    }
    let (fw, fh) = (f64::from(bw), f64::from(bh));
    let (left, top) = (f64::from(left), f64::from(top));
    let full = [left, top, sw, sh];
    let (ax, ay) = variant.position.anchor();
    let scaled = |scale: f64| (round_side(sw * scale), round_side(sh * scale));
    let same = |resized: (u32, u32)| Plan { crop: full, resized, canvas: resized, offset: (0, 0), smart: None };
    match variant.fit {
        Fit::Fill => same((bw, bh)),
        Fit::Inside => {
            let (w, h) = scaled((fw / sw).min(fh / sh));
            same((w.min(bw), h.min(bh)))
        }
        Fit::Outside => {
            let (w, h) = scaled((fw / sw).max(fh / sh));
            same((w.max(bw), h.max(bh)))
        }
        Fit::Contain => {
            let most = if variant.without_enlargement { 1.0 } else { f64::INFINITY };
            let (w, h) = scaled((fw / sw).min(fh / sh).min(most));
            let resized = (w.min(bw), h.min(bh));
            let offset =
                ((f64::from(bw - resized.0) * ax).round() as u32, (f64::from(bh - resized.1) * ay).round() as u32);
            Plan { crop: full, resized, canvas: (bw, bh), offset, smart: None }
        }
        Fit::Cover => {
            let scale = (fw / sw).max(fh / sh);
            let smart = match (variant.position, choice.focus) {
                (_, Some(_)) => None,
                (Position::Entropy, None) => Some(Interest::Entropy),
                (Position::Attention, None) => Some(Interest::Attention),
                _ => None,
            };
            if smart.is_some() {
                let (w, h) = scaled(scale);
                return Plan { crop: full, resized: (w.max(bw), h.max(bh)), canvas: (bw, bh), offset: (0, 0), smart };
            }
            let (cw, ch) = ((fw / scale).min(sw), (fh / scale).min(sh));
            let (x, y) = match choice.focus {
                // The window's middle at the focus, the window inside the area.
                Some((fx, fy)) => {
                    let at = |f: u32, start: f64, window: f64, side: f64| {
                        (f64::from(f) - start - window / 2.0).clamp(0.0, side - window)
                    };
                    (at(fx, left, cw, sw), at(fy, top, ch, sh))
                }
                None => ((sw - cw) * ax, (sh - ch) * ay),
            };
            let crop = [left + x, top + y, cw, ch];
            Plan { crop, resized: (bw, bh), canvas: (bw, bh), offset: (0, 0), smart: None }
        }
    }
}

fn round_side(side: f64) -> u32 {
    (side.round() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Position, Request};

    fn variant(fit: Fit, width: u32, height: u32) -> Variant {
        Variant { fit, width, height, ..Request::seed().variants[0].clone() }
    }

    #[test]
    fn smaller_variants_of_the_same_area_are_made_from_larger_ones() {
        let whole = Choice::whole((2725, 2225));
        let cover = |s| plan(&whole, &variant(Fit::Cover, s, s));
        let step = |index, from, kept| Step { index, from, kept };
        // The seed's three squares, given in any order: the 200 from the 456, the 75 from the 200.
        let seed = [cover(456), cover(200), cover(75)];
        assert_eq!(schedule(&seed), [step(0, None, true), step(1, Some(0), true), step(2, Some(1), false)]);
        let reversed = [cover(75), cover(200), cover(456)];
        assert_eq!(schedule(&reversed), [step(2, None, true), step(1, Some(2), true), step(0, Some(1), false)]);
        // The smallest one twice the size or more: the 90 from the 200, not the 456.
        let four = [cover(456), cover(200), cover(90), cover(300)];
        assert_eq!(
            schedule(&four),
            [step(0, None, true), step(3, None, false), step(1, Some(0), true), step(2, Some(1), false)]
        );
        // Less than half the size one way, or another area: from the source.
        let inside = plan(&whole, &variant(Fit::Inside, 1000, 1000));
        let wide = plan(&whole, &variant(Fit::Cover, 200, 100));
        assert_eq!(inside.resized, (1000, 817));
        let inside_half = plan(&whole, &variant(Fit::Inside, 500, 500));
        assert_eq!(schedule(&[inside, inside_half])[1].from, Some(0), "500x408 from 1000x817");
        let inside_600 = plan(&whole, &variant(Fit::Inside, 600, 600));
        assert_eq!(schedule(&[inside, inside_600])[1].from, None, "600 > 1000 / 2");
        assert!(schedule(&[cover(456), wide])[1].from.is_none());
        let half = Plan { resized: (200, 100), ..wide };
        assert_eq!(half.within(&Plan { resized: (400, 200), ..wide }).crop, [0.0, 0.0, 400.0, 200.0]);
    }

    #[test]
    fn cover_crop_keeps_centre() {
        let p = plan(&Choice::whole((2725, 2225)), &variant(Fit::Cover, 456, 456));
        assert_eq!(p.canvas, (456, 456));
        assert_eq!(p.crop, [250.0, 0.0, 2225.0, 2225.0]);
    }

    #[test]
    fn cover_position_moves_the_crop() {
        let mut v = variant(Fit::Cover, 100, 100);
        v.position = Position::Left;
        assert_eq!(plan(&Choice::whole((400, 200)), &v).crop, [0.0, 0.0, 200.0, 200.0]);
        v.position = Position::RightBottom;
        assert_eq!(plan(&Choice::whole((400, 200)), &v).crop, [200.0, 0.0, 200.0, 200.0]);
        v.position = Position::Top;
        assert_eq!(plan(&Choice::whole((200, 400)), &v).crop, [0.0, 0.0, 200.0, 200.0]);
    }

    #[test]
    fn a_smart_cover_resizes_the_whole_source_to_cover_the_box() {
        let mut v = variant(Fit::Cover, 100, 100);
        v.position = Position::Attention;
        let p = plan(&Choice::whole((400, 200)), &v);
        assert_eq!(
            (p.crop, p.resized, p.canvas, p.smart),
            ([0.0, 0.0, 400.0, 200.0], (200, 100), (100, 100), Some(Interest::Attention))
        );
        v.position = Position::Entropy;
        v.fit = Fit::Contain;
        assert_eq!(plan(&Choice::whole((400, 200)), &v).smart, None, "contain centres, as in sharp");
    }

    #[test]
    fn a_crop_is_the_source_every_fit_starts_from() {
        let choice = Choice { area: [100, 50, 300, 100], focus: None };
        let p = plan(&choice, &variant(Fit::Cover, 50, 50));
        assert_eq!((p.crop, p.resized), ([200.0, 50.0, 100.0, 100.0], (50, 50)));
        let p = plan(&choice, &variant(Fit::Inside, 600, 600));
        assert_eq!((p.crop, p.canvas), ([100.0, 50.0, 300.0, 100.0], (300, 100)), "not enlarged past the crop");
        let p = plan(&choice, &variant(Fit::Contain, 60, 60));
        assert_eq!((p.crop, p.resized, p.offset), ([100.0, 50.0, 300.0, 100.0], (60, 20), (0, 20)));
    }

    #[test]
    fn a_focus_centres_cover_crops_as_far_as_the_picture_allows() {
        let at = |x, y| Choice { area: [0, 0, 400, 200], focus: Some((x, y)) };
        let cover = variant(Fit::Cover, 100, 100);
        assert_eq!(plan(&at(200, 100), &cover).crop, plan(&Choice::whole((400, 200)), &cover).crop, "middle = centre");
        assert_eq!(plan(&at(150, 10), &cover).crop, [50.0, 0.0, 200.0, 200.0]);
        assert_eq!(plan(&at(10, 190), &cover).crop, [0.0, 0.0, 200.0, 200.0], "clamped left");
        assert_eq!(plan(&at(399, 0), &cover).crop, [200.0, 0.0, 200.0, 200.0], "clamped right");
        let mut smart = cover.clone();
        smart.position = Position::Attention;
        assert_eq!(plan(&at(150, 10), &smart).smart, None, "the person's focus wins over a strategy");
        assert_eq!(plan(&at(150, 10), &variant(Fit::Contain, 100, 100)).crop, [0.0, 0.0, 400.0, 200.0]);
    }

    #[test]
    fn crop_and_focus_outside_the_source_are_refused() {
        let request = |crop, focus| Request { crop, focus, ..Request::seed() };
        let source = (400, 200);
        assert!(Choice::from_request(source, &request(Some([0, 0, 400, 200]), None)).is_ok());
        for crop in [[1, 0, 400, 200], [0, 0, 0, 10], [399, 199, 2, 1], [u32::MAX, 0, 2, 1]] {
            let refused = Choice::from_request(source, &request(Some(crop), None));
            assert!(matches!(refused, Err(Error::InvalidRequest(ref m)) if m.contains("400x200")), "{crop:?}");
        }
        assert!(Choice::from_request(source, &request(None, Some([399, 199]))).is_ok());
        assert!(Choice::from_request(source, &request(None, Some([400, 0]))).is_err());
    }

    #[test]
    fn contain_pads_to_the_box() {
        let p = plan(&Choice::whole((400, 200)), &variant(Fit::Contain, 100, 100));
        assert_eq!((p.resized, p.canvas, p.offset), ((100, 50), (100, 100), (0, 25)));
    }

    #[test]
    fn contain_without_enlargement_pads_the_smaller_picture() {
        let p = plan(&Choice::whole((250, 180)), &variant(Fit::Contain, 300, 200));
        assert_eq!((p.resized, p.canvas, p.offset), ((250, 180), (300, 200), (25, 10)));
        let mut v = variant(Fit::Contain, 300, 200);
        v.without_enlargement = false;
        let p = plan(&Choice::whole((250, 180)), &v);
        assert_eq!((p.resized, p.canvas, p.offset), ((278, 200), (300, 200), (11, 0)));
    }

    #[test]
    fn fill_ignores_aspect_ratio() {
        let p = plan(&Choice::whole((400, 200)), &variant(Fit::Fill, 100, 100));
        assert_eq!((p.resized, p.canvas, p.crop), ((100, 100), (100, 100), [0.0, 0.0, 400.0, 200.0]));
    }

    #[test]
    fn inside_and_outside_keep_aspect_ratio_without_padding() {
        assert_eq!(plan(&Choice::whole((400, 200)), &variant(Fit::Inside, 100, 100)).canvas, (100, 50));
        assert_eq!(plan(&Choice::whole((400, 200)), &variant(Fit::Outside, 100, 100)).canvas, (200, 100));
    }

    #[test]
    fn without_enlargement_never_scales_up() {
        for fit in [Fit::Cover, Fit::Contain, Fit::Fill, Fit::Inside, Fit::Outside] {
            let p = plan(&Choice::whole((300, 200)), &variant(fit, 456, 456));
            let canvas = if fit == Fit::Contain { (456, 456) } else { (300, 200) };
            assert_eq!((p.canvas, p.resized), (canvas, (300, 200)), "{fit:?}");
            assert!(f64::from(p.resized.0) <= p.crop[2] && f64::from(p.resized.1) <= p.crop[3], "{fit:?}");
        }
        // Only the axis that would grow is clamped: a tall source still gets a cropped 300x456.
        assert_eq!(plan(&Choice::whole((300, 600)), &variant(Fit::Cover, 456, 456)).canvas, (300, 456));
    }

    #[test]
    fn enlargement_when_allowed() {
        let mut v = variant(Fit::Cover, 456, 456);
        v.without_enlargement = false;
        assert_eq!(plan(&Choice::whole((300, 200)), &v).canvas, (456, 456));
    }

    #[test]
    fn extreme_aspect_ratios_never_reach_zero() {
        for fit in [Fit::Cover, Fit::Contain, Fit::Fill, Fit::Inside, Fit::Outside] {
            for source in [(10_000, 1), (1, 10_000), (1, 1)] {
                let p = plan(&Choice::whole(source), &variant(fit, 75, 75));
                assert!(p.resized.0 >= 1 && p.resized.1 >= 1, "{fit:?} {source:?}");
                assert!(p.canvas.0 >= 1 && p.canvas.1 >= 1, "{fit:?} {source:?}");
                assert!(p.crop[2] > 0.0 && p.crop[3] > 0.0, "{fit:?} {source:?}");
                assert!(p.offset.0 + p.resized.0 <= p.canvas.0 && p.offset.1 + p.resized.1 <= p.canvas.1);
            }
        }
        let p = plan(&Choice::whole((10_000, 1)), &variant(Fit::Inside, 75, 75));
        assert_eq!(p.canvas, (75, 1));
    }

    #[test]
    fn needs_source_asks_for_enough_pixels() {
        let p = plan(&Choice::whole((2725, 2225)), &variant(Fit::Cover, 456, 456));
        assert_eq!(p.needs_source((2725, 2225)), (559, 456));
    }
}
