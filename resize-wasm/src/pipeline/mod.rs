//! The pipeline, in the order it runs. One file per step; each is a plain function.

pub mod decode;
pub mod encode;
pub mod limits;
pub mod orient;
pub mod plan;
pub mod resample;
pub mod sniff;

use crate::{Encoded, Error, Output, Request, Source};

pub fn run(bytes: &[u8], request: &Request) -> Result<Output, Error> {
    validate(request)?;
    let format = sniff::sniff(bytes)?;
    let header = limits::read_header(bytes, format, &request.limits)?;
    let source = header.oriented();
    let plans: Vec<_> = request.variants.iter().map(|v| plan::plan(source, v)).collect();

    // Decode once, no larger than the most demanding variant needs.
    let need = plans.iter().map(|p| p.needs_source(source)).fold((1, 1), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    let need_stored = if orient::swaps_axes(header.orientation) { (need.1, need.0) } else { need };
    let mut image = decode::decode(bytes, format, &header, need_stored, &request.limits)?;
    orient::orient(&mut image, header.orientation);

    let variants = request
        .variants
        .iter()
        .zip(&plans)
        .map(|(variant, plan)| {
            let pixels = resample::resample(&image, source, plan, variant.background)?;
            let bytes = encode::encode(&pixels, variant)?;
            Ok(Encoded {
                suffix: variant.suffix.clone(),
                width: pixels.width(),
                height: pixels.height(),
                format: variant.format,
                bytes,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Output { source: Source { format: format.name().into(), width: source.0, height: source.1 }, variants })
}

fn validate(request: &Request) -> Result<(), Error> {
    let invalid = |m: String| Err(Error::InvalidRequest(m));
    let limits = &request.limits;
    if request.variants.is_empty() || request.variants.len() > limits.max_variants {
        return invalid(format!("between 1 and {} variants are allowed", limits.max_variants));
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
