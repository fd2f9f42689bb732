//! The pipeline, in the order it runs. One file per step; each is a plain function.

pub mod colour;
pub mod decode;
pub mod encode;
pub mod extract;
pub mod jfif;
pub mod jpeg;
pub mod limits;
pub mod metadata;
pub mod orient;
pub mod placeholder;
pub mod plan;
pub mod quality;
pub mod resample;
pub mod smartcrop;
pub mod sniff;
pub mod transpose;

use crate::{Encoded, Error, Output, Request, Source, Stage, Variant};

pub fn run(bytes: &[u8], request: &Request) -> Result<Output, Error> {
    validate(request)?;
    // Profiling (Request::stop_after): each `done` ends the call early after its stage.
    let done = |stage: Stage| request.stop_after == Some(stage);
    let mut output = Output {
        source: Source { format: String::new(), width: 0, height: 0, thumbhash: None, metadata: None },
        variants: Vec::new(),
    };
    if done(Stage::Start) {
        return Ok(output);
    }
    let format = sniff::sniff(bytes)?;
    output.source.format = format.name().into();
    if done(Stage::Sniff) {
        return Ok(output);
    }
    let header = limits::read_header(bytes, format, &request.limits)?;
    let source = header.oriented();
    (output.source.width, output.source.height) = source;
    output.source.metadata = metadata::read(header.exif.as_deref());
    if done(Stage::Header) {
        return Ok(output);
    }
    let choice = plan::Choice::from_request(source, request)?;
    let mut plans: Vec<_> = request.variants.iter().map(|v| plan::plan(&choice, v)).collect();

    // Decode once, no larger than the most demanding variant needs.
    let need = plans.iter().map(|p| p.needs_source(source)).fold((1, 1), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    let need_stored = if orient::swaps_axes(header.orientation) { (need.1, need.0) } else { need };
    if in_ycc(request, &header, &choice, source, &plans)
        && let Some((planes, scale)) =
            decode::planes(bytes, format, &header, need_stored, |scale, size| wanted(&plans, scale, size))
    {
        return run_in_ycc(output, request, &planes, scale, &plans);
    }
    let (mut image, scale) = decode::decode(bytes, format, &header, need_stored, &request.limits)?;
    if done(Stage::Decode) {
        return Ok(output);
    }
    orient::orient(&mut image, header.orientation);
    if done(Stage::Orient) {
        return Ok(output);
    }
    output.source.thumbhash = Some(placeholder::thumbhash(&image));
    if done(Stage::Placeholder) {
        return Ok(output);
    }

    let image = extract::extract(image, scale, source, &choice, &mut plans);
    output.variants = make_variants(request, &plans, (&image, scale), resample::resize, |resized, plan, variant| {
        let pixels = resample::place(resized, plan, variant.background);
        let bytes = encode::encode(&pixels, variant)?;
        let ssim = if request.score { Some(quality::score(&pixels, variant, &bytes)?) } else { None };
        Ok(Encoded {
            suffix: variant.suffix.clone(),
            width: pixels.width(),
            height: pixels.height(),
            format: variant.format,
            ssim,
            bytes,
        })
    })?;
    Ok(output)
}

/// Every variant, made in plan::schedule's order (the smaller ones of an area resampled from a
/// larger one's pixels) and returned in the request's. `resize` resamples a plan's area of the
/// decoded source (at 1/`scale`) or of an earlier variant's pixels (at scale 1, the plan then
/// counting in those); `finish` places and encodes the result.
fn make_variants<T: Clone>(
    request: &Request,
    plans: &[plan::Plan],
    (source, scale): (&T, u32),
    resize: impl Fn(&T, u32, &plan::Plan) -> Result<T, Error>,
    finish: impl Fn(T, &plan::Plan, &Variant) -> Result<Encoded, Error>,
) -> Result<Vec<Encoded>, Error> {
    let done = |stage: Stage| request.stop_after == Some(stage);
    let mut kept: Vec<Option<T>> = vec![None; plans.len()];
    let mut made: Vec<Option<Encoded>> = vec![None; plans.len()];
    for step in plan::schedule(plans) {
        let plan = &plans[step.index];
        let resized = match step.from {
            Some(from) => {
                let earlier = kept[from].as_ref().expect("schedule keeps what a later step is made from");
                resize(earlier, 1, &plan.within(&plans[from]))?
            }
            None => resize(source, scale, plan)?,
        };
        if step.kept {
            kept[step.index] = Some(resized.clone());
        }
        if done(Stage::Resample) {
            continue;
        }
        made[step.index] = Some(finish(resized, plan, &request.variants[step.index])?);
    }
    Ok(if done(Stage::Encode) { Vec::new() } else { made.into_iter().flatten().collect() })
}

/// Whether the job can stay in YCbCr from decoder to encoder (the RGB path converts a JPEG's
/// YCbCr to RGB after decoding and back before encoding): JPEG variants only, and nothing that
/// needs the RGB picture: no rotation, request crop, smart crop, padding or quality score.
/// decode::planes adds its own conditions on the file.
fn in_ycc(
    request: &Request,
    header: &limits::Header,
    choice: &plan::Choice,
    source: (u32, u32),
    plans: &[plan::Plan],
) -> bool {
    header.orientation == image::metadata::Orientation::NoTransforms
        && choice.area == [0, 0, source.0, source.1]
        && !request.score
        && request.variants.iter().all(|v| v.format == crate::Format::Jpeg)
        && plans.iter().all(|p| p.smart.is_none() && p.canvas == p.resized)
}

/// What the YCbCr path reads of the source decoded at 1/`scale` (`size`): the areas resampled
/// for the variants made from the source (the others are made from an earlier variant), and the
/// placeholder's samples.
fn wanted(plans: &[plan::Plan], scale: u32, size: (usize, usize)) -> jpeg::Wanted {
    let area = plan::schedule(plans).iter().filter(|step| step.from.is_none()).fold(
        [usize::MAX, usize::MAX, 0, 0],
        |[left, top, right, bottom], step| {
            let [l, t, r, b] = resample::reads(&plans[step.index], scale, size);
            [left.min(l), top.min(t), right.max(r), bottom.max(b)]
        },
    );
    jpeg::Wanted { area, every: placeholder::step(size.0 as u32, size.1 as u32) }
}

/// The rest of `run` for the YCbCr path: the same stages, on luma and chroma planes. Luma and
/// chroma resampled on their own give the RGB path's picture up to rounding, with half the
/// samples to resample and no colour conversion (docs/decisions.md).
fn run_in_ycc(
    mut output: Output,
    request: &Request,
    planes: &jpeg::Planes,
    scale: u32,
    plans: &[plan::Plan],
) -> Result<Output, Error> {
    let done = |stage: Stage| request.stop_after == Some(stage);
    if done(Stage::Decode) || done(Stage::Orient) {
        return Ok(output);
    }
    output.source.thumbhash = Some(placeholder::thumbhash_of_planes(planes));
    if done(Stage::Placeholder) {
        return Ok(output);
    }
    output.variants =
        make_variants(request, plans, (planes, scale), resample::resize_planes, |resized, plan, variant| {
            Ok(Encoded {
                suffix: variant.suffix.clone(),
                width: plan.resized.0,
                height: plan.resized.1,
                format: variant.format,
                ssim: None,
                bytes: encode::encode_planes(&resized, variant)?,
            })
        })?;
    Ok(output)
}

fn validate(request: &Request) -> Result<(), Error> {
    let invalid = |m: String| Err(Error::InvalidRequest(m));
    let limits = &request.limits;
    if request.variants.is_empty() || request.variants.len() > limits.max_variants {
        return invalid(format!("between 1 and {} variants are allowed", limits.max_variants));
    }
    if request.crop.is_some() && request.focus.is_some() {
        return invalid("give crop or focus, not both".into());
    }
    for v in &request.variants {
        let max = limits.max_output_dimension;
        if v.width == 0 || v.height == 0 || v.width > max || v.height > max {
            return invalid(format!("variant size {}x{} is outside 1..={max}", v.width, v.height));
        }
        if !(1..=100).contains(&v.quality) {
            return invalid(format!("quality {} is outside 1..=100", v.quality));
        }
        if request.variants.iter().filter(|o| o.suffix == v.suffix).count() > 1 {
            return invalid(format!("two variants share the suffix {:?}", v.suffix));
        }
        if v.suffix.len() > 64 {
            return invalid("a variant suffix may be at most 64 bytes".into());
        }
    }
    Ok(())
}
