//! Sources with an embedded ICC profile come out in sRGB (issue 11 point 1). Each source is a row
//! of flat patches made here with its profile (Display P3 and Adobe RGB from moxcms' constructors,
//! a CMYK profile built below); each patch's stored colour is compared with a conversion this file
//! does itself in f64 from the primaries and curves, in CIE76 ΔE.

use std::path::PathBuf;

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use moxcms::{ColorProfile, DataColorSpace, LutDataType, LutStore, LutType, LutWarehouse, Matrix3d, ProfileClass};
use resize_wasm::{Fit, Format, Request, Variant, process};

/// Matrix/curve profiles: 8-bit in, 8-bit out, so a level of rounding on each side.
const MATRIX_DELTA_E: f64 = 1.0;
/// The CMYK profile goes through moxcms' 17-point 4-D table, interpolated.
const CMYK_DELTA_E: f64 = 1.5;

const PATCH: u32 = 16;

/// Saturated primaries (clipped in sRGB), a skin tone, greys, a sky: in the source's own space.
const COLOURS: [[u8; 3]; 8] = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [224, 172, 140],
    [128, 128, 128],
    [250, 140, 20],
    [90, 150, 220],
    [255, 255, 255],
];

/// Inks, 0 = none, as a CMYK profile reads them.
const INKS: [[u8; 4]; 8] = [
    [255, 0, 0, 0],
    [0, 255, 0, 0],
    [0, 0, 255, 0],
    [0, 0, 0, 255],
    [40, 90, 110, 0],
    [128, 128, 128, 64],
    [0, 0, 0, 0],
    [200, 60, 10, 30],
];

struct Space {
    primaries: [[f64; 2]; 3],
    decode: fn(f64) -> f64,
}

const SRGB: Space = Space { primaries: [[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]], decode: srgb_decode };
const DISPLAY_P3: Space = Space { primaries: [[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]], decode: srgb_decode };
const ADOBE_RGB: Space = Space { primaries: [[0.64, 0.33], [0.21, 0.71], [0.15, 0.06]], decode: adobe_decode };

fn srgb_decode(v: f64) -> f64 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

fn srgb_encode(v: f64) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

fn adobe_decode(v: f64) -> f64 {
    v.powf(563.0 / 256.0)
}

/// RGB (linear) to XYZ for primaries with a D65 white.
fn to_xyz(space: &Space) -> [[f64; 3]; 3] {
    let white = [0.3127 / 0.3290, 1.0, (1.0 - 0.3127 - 0.3290) / 0.3290];
    let columns = space.primaries.map(|[x, y]| [x / y, 1.0, (1.0 - x - y) / y]);
    let m = [0, 1, 2].map(|r| [0, 1, 2].map(|c| columns[c][r]));
    let s = mul(&invert(&m), white);
    [0, 1, 2].map(|r| [0, 1, 2].map(|c| m[r][c] * s[c]))
}

fn mul(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

fn invert(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let [[a, b, c], [d, e, f], [g, h, i]] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    [
        [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
        [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
        [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
    ]
}

/// The reference: `rgb` in `space` to 8-bit sRGB, clipped in linear light.
fn reference(space: &Space, rgb: [u8; 3]) -> [f64; 3] {
    let linear = rgb.map(|v| (space.decode)(f64::from(v) / 255.0));
    let srgb_linear = mul(&invert(&to_xyz(&SRGB)), mul(&to_xyz(space), linear));
    srgb_linear.map(|v| srgb_encode(v) * 255.0)
}

/// CIE76 ΔE between two sRGB colours (0..255), in Lab with a D65 white.
fn delta_e(a: [f64; 3], b: [f64; 3]) -> f64 {
    let lab = |rgb: [f64; 3]| {
        let xyz = mul(&to_xyz(&SRGB), rgb.map(|v| srgb_decode(v / 255.0)));
        let white = mul(&to_xyz(&SRGB), [1.0; 3]);
        let f = |t: f64| if t > 216.0 / 24389.0 { t.cbrt() } else { (24389.0 / 27.0 * t + 16.0) / 116.0 };
        let [fx, fy, fz] = [0, 1, 2].map(|i| f(xyz[i] / white[i]));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    };
    let (a, b) = (lab(a), lab(b));
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// An ICC profile's bytes with the creation date fixed (moxcms stamps the clock), so the files
/// made from it are the same on every run.
fn icc(profile: &ColorProfile) -> Vec<u8> {
    let mut bytes = profile.encode().unwrap();
    bytes[24..36].copy_from_slice(&[0x07, 0xea, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// A press-like CMYK model: each ink absorbs most of one channel, and between the 16 corners (each
/// ink on or off, given in linear sRGB) colours mix linearly in light, as halftone dots do
/// (Neugebauer's model).
fn cmyk_corner(inks: [f64; 4]) -> [f64; 3] {
    let [c, m, y, k] = inks;
    let keep = |ink: f64, strength: f64| 1.0 - strength * ink;
    [keep(c, 0.92) * keep(m, 0.10), keep(m, 0.90) * keep(c, 0.25) * keep(y, 0.05), keep(y, 0.95) * keep(c, 0.15)]
        .map(|v| v * keep(k, 0.97))
}

/// The model at `t` (ink amounts 0..1), in linear sRGB.
fn cmyk_linear(t: [f64; 4]) -> [f64; 3] {
    let mut linear = [0.0; 3];
    for corner in 0..16 {
        let on = [0, 1, 2, 3].map(|i| corner >> (3 - i) & 1 == 1);
        let weight: f64 = (0..4).map(|i| if on[i] { t[i] } else { 1.0 - t[i] }).product();
        let rgb = cmyk_corner(on.map(|o| if o { 1.0 } else { 0.0 }));
        (0..3).for_each(|c| linear[c] += weight * rgb[c]);
    }
    linear
}

fn cmyk_reference(inks: [u8; 4]) -> [f64; 3] {
    cmyk_linear(inks.map(|v| f64::from(v) / 255.0)).map(|v| srgb_encode(v) * 255.0)
}

/// Grid points per ink in the profile's table: enough that how a CMM interpolates between them
/// (lcms2 tetrahedrally in CMY and linearly in K, moxcms quadrilinearly) changes little, few
/// enough that the fixture stays small (5⁴ points: 3.75 KB).
const GRID: u8 = 5;

/// The model above as an ICC profile (lut16, A2B0, PCS XYZ).
fn cmyk_profile() -> ColorProfile {
    // The PCS is XYZ relative to D50: sRGB's primaries adapted to D50 (Bradford), as in sRGB.icc.
    let srgb_d50 = ColorProfile::new_srgb();
    let columns = [srgb_d50.red_colorant, srgb_d50.green_colorant, srgb_d50.blue_colorant];
    let mut clut = Vec::new();
    let steps = u32::from(GRID);
    for point in 0..steps.pow(4) {
        // The first input channel varies slowest.
        let inks = [3, 2, 1, 0].map(|i| f64::from(point / steps.pow(i) % steps) / f64::from(steps - 1));
        let rgb = cmyk_linear(inks);
        let xyz = [0, 1, 2]
            .map(|axis| (0..3).map(|c| rgb[c] * [columns[c].x, columns[c].y, columns[c].z][axis]).sum::<f64>());
        // lut16's XYZ: 1.0 is 0x8000.
        clut.extend(xyz.map(|v| (v * 32768.0).round() as u16));
    }
    let identity = |channels: usize| LutStore::Store16([0, 65535].repeat(channels));
    let lut = LutDataType {
        num_input_channels: 4,
        num_output_channels: 3,
        num_clut_grid_points: GRID,
        matrix: Matrix3d::IDENTITY,
        num_input_table_entries: 2,
        num_output_table_entries: 2,
        input_table: identity(4),
        clut_table: LutStore::Store16(clut),
        output_table: identity(3),
        lut_type: LutType::Lut16,
    };
    let mut profile = ColorProfile::new_srgb();
    profile.color_space = DataColorSpace::Cmyk;
    profile.pcs = DataColorSpace::Xyz;
    profile.profile_class = ProfileClass::OutputDevice;
    (profile.red_trc, profile.green_trc, profile.blue_trc, profile.cicp) = (None, None, None, None);
    profile.lut_a_to_b_perceptual = Some(LutWarehouse::Lut(lut));
    profile
}

fn patches<const N: usize>(colours: &[[u8; N]]) -> Vec<u8> {
    let mut pixels = Vec::new();
    for _ in 0..PATCH {
        for colour in colours {
            for _ in 0..PATCH {
                pixels.extend_from_slice(colour);
            }
        }
    }
    pixels
}

fn jpeg(pixels: &[u8], color: ColorType, profile: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 100);
    // Whole patches in whole blocks, no chroma subsampling: the centres stay flat.
    encoder.set_sampling_factor(SamplingFactor::F_1_1);
    encoder.add_icc_profile(profile).unwrap();
    encoder.encode(pixels, PATCH as u16 * COLOURS.len() as u16, PATCH as u16, color).unwrap();
    out
}

fn png(pixels: &[u8], profile: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut info = png::Info::with_size(PATCH * COLOURS.len() as u32, PATCH);
    info.color_type = png::ColorType::Rgb;
    info.icc_profile = Some(profile.to_vec().into());
    let encoder = png::Encoder::with_info(&mut out, info).unwrap();
    encoder.write_header().unwrap().write_image_data(pixels).unwrap();
    out
}

/// The source at its own size, stored as PNG: each patch's centre, in sRGB.
fn stored_centres(source: &[u8]) -> Vec<[f64; 3]> {
    let mut request = Request::seed();
    let (width, height) = (PATCH * COLOURS.len() as u32, PATCH);
    request.variants = vec![Variant {
        fit: Fit::Fill,
        width,
        height,
        format: Format::Png,
        suffix: String::new(),
        ..request.variants[0].clone()
    }];
    let output = process(source, &request).unwrap();
    let image = image::load_from_memory(&output.variants[0].bytes).unwrap().to_rgb8();
    (0..COLOURS.len() as u32).map(|i| image.get_pixel(i * PATCH + PATCH / 2, PATCH / 2).0.map(f64::from)).collect()
}

/// The source's own pixels at each patch's centre, without any colour management.
fn source_centres<const N: usize>(jpeg: &[u8]) -> Vec<[u8; N]> {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder.decode().unwrap();
    let width = (PATCH * COLOURS.len() as u32) as usize;
    (0..COLOURS.len())
        .map(|i| {
            let at = ((PATCH / 2) as usize * width + i * PATCH as usize + (PATCH / 2) as usize) * N;
            pixels[at..at + N].try_into().unwrap()
        })
        .collect()
}

fn assert_close(what: &str, got: &[[f64; 3]], want: &[[f64; 3]], tolerance: f64) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let d = delta_e(*g, *w);
        assert!(d <= tolerance, "{what}, patch {i}: stored {g:?}, reference {w:?}: ΔE {d:.2} > {tolerance}");
    }
}

#[test]
fn display_p3_and_adobe_rgb_pngs_are_converted_to_srgb() {
    for (name, profile, space) in [
        ("Display P3", ColorProfile::new_display_p3(), &DISPLAY_P3),
        ("Adobe RGB", ColorProfile::new_adobe_rgb(), &ADOBE_RGB),
    ] {
        let got = stored_centres(&png(&patches(&COLOURS), &icc(&profile)));
        let want: Vec<_> = COLOURS.iter().map(|&c| reference(space, c)).collect();
        assert_close(name, &got, &want, MATRIX_DELTA_E);
        // Not a test that passes by ignoring the profile: the unconverted colours are far off.
        let moved = COLOURS.iter().zip(&got).map(|(c, g)| delta_e(c.map(f64::from), *g)).fold(0.0, f64::max);
        assert!(moved > 4.0, "{name}: the colours moved by ΔE {moved:.1} at most");
    }
}

#[test]
fn a_display_p3_jpeg_is_converted_to_srgb() {
    let source = jpeg(&patches(&COLOURS), ColorType::Rgb, &icc(&ColorProfile::new_display_p3()));
    let want: Vec<_> = source_centres::<3>(&source).into_iter().map(|c| reference(&DISPLAY_P3, c)).collect();
    assert_close("P3 JPEG", &stored_centres(&source), &want, MATRIX_DELTA_E);
}

#[test]
fn a_cmyk_jpeg_is_converted_through_its_profile() {
    let source = jpeg(&patches(&INKS), ColorType::Cmyk, &icc(&cmyk_profile()));
    let want: Vec<_> = source_centres::<4>(&source).into_iter().map(cmyk_reference).collect();
    assert_close("CMYK JPEG", &stored_centres(&source), &want, CMYK_DELTA_E);
}

#[test]
fn a_profile_for_other_channels_or_a_broken_one_is_ignored() {
    let pixels = patches(&COLOURS);
    let plain = stored_centres(&png(&pixels, &icc(&ColorProfile::new_srgb())));
    let as_is: Vec<_> = COLOURS.iter().map(|c| c.map(f64::from)).collect();
    assert_close("sRGB", &plain, &as_is, MATRIX_DELTA_E);
    for (what, profile) in [
        ("a CMYK profile", icc(&cmyk_profile())),
        ("a truncated profile", {
            let mut p = icc(&ColorProfile::new_display_p3());
            p.truncate(100);
            p
        }),
    ] {
        assert_eq!(stored_centres(&png(&pixels, &profile)), as_is, "{what} on an RGB PNG");
    }
}

/// The sources above, committed for the tests that need files (resize-wasm/tests/engines.json:
/// the same bytes in wasmtime, Node and Chromium). `RESIZE_WRITE_FIXTURES=1` rewrites them.
#[test]
fn committed_colour_fixtures_are_made_by_this_file() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (name, bytes) in [
        ("display-p3.jpg", jpeg(&patches(&COLOURS), ColorType::Rgb, &icc(&ColorProfile::new_display_p3()))),
        ("cmyk-profile.jpg", jpeg(&patches(&INKS), ColorType::Cmyk, &icc(&cmyk_profile()))),
        ("adobe-rgb.png", png(&patches(&COLOURS), &icc(&ColorProfile::new_adobe_rgb()))),
    ] {
        let path = dir.join(name);
        if std::env::var_os("RESIZE_WRITE_FIXTURES").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        assert!(std::fs::read(&path).ok() == Some(bytes), "{name} differs from what this file makes");
    }
}
