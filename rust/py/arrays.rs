//! numpy arrays in and out of parallel work without a serial pass over the data: the rows of
//! an input are read where they lie (float32 or float64, any strides) by the task that
//! transforms them, and each task writes its result into its own slot of one output buffer,
//! allocated once (zeroed pages from the OS, touched first by the tasks) and handed to numpy
//! without a copy.
//!
//! The input is read with the GIL released, as numpy's own functions read theirs: Python code
//! that writes to the array meanwhile races with the read (Rust code cannot: the array is
//! borrowed read-only).

use std::borrow::Cow;

use numpy::ndarray::{ArrayD, ArrayView2, Axis};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::check;
use crate::dsp::pool::run_parallel_into;
use crate::dsp::{Error, Result};

/// A 2-D array of rows, float32 or float64.
pub(crate) enum Rows<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'py> FromPyObject<'_, 'py> for Rows<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = obj.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(Rows::F32(a));
        }
        Ok(Rows::F64(obj.extract::<PyReadonlyArray2<'py, f64>>()?))
    }
}

impl Rows<'_> {
    pub(crate) fn view(&self) -> RowsView<'_> {
        match self {
            Rows::F32(a) => RowsView::F32(a.as_array()),
            Rows::F64(a) => RowsView::F64(a.as_array()),
        }
    }
}

/// A 1-D array of samples, float32 or float64: one row.
pub(crate) enum Samples<'py> {
    F32(PyReadonlyArray1<'py, f32>),
    F64(PyReadonlyArray1<'py, f64>),
}

impl<'py> Samples<'py> {
    /// `obj` where it is a 1-D float32 or float64 array.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> Option<Self> {
        if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, f32>>() {
            return Some(Samples::F32(a));
        }
        obj.extract::<PyReadonlyArray1<'py, f64>>().ok().map(Samples::F64)
    }

    /// The samples as a one-row [`RowsView`].
    pub(crate) fn view(&self) -> RowsView<'_> {
        match self {
            Samples::F32(a) => RowsView::F32(a.as_array().insert_axis(Axis(0))),
            Samples::F64(a) => RowsView::F64(a.as_array().insert_axis(Axis(0))),
        }
    }
}

/// The rows of a [`Rows`], readable from any thread.
#[derive(Clone, Copy)]
pub(crate) enum RowsView<'a> {
    F32(ArrayView2<'a, f32>),
    F64(ArrayView2<'a, f64>),
}

impl<'a> RowsView<'a> {
    /// `(rows, samples per row)`.
    pub(crate) fn dim(&self) -> (usize, usize) {
        match self {
            RowsView::F32(a) => a.dim(),
            RowsView::F64(a) => a.dim(),
        }
    }

    /// Row `i` as float32, borrowed where it is contiguous float32, else converted (or
    /// gathered). Non-finite samples are librosa's error.
    pub(crate) fn row_cow(&self, i: usize) -> Result<Cow<'a, [f32]>> {
        let mut buf = Vec::new();
        let borrowed = match self {
            RowsView::F32(a) => a.index_axis_move(Axis(0), i).to_slice(),
            RowsView::F64(_) => None,
        };
        let row = match borrowed {
            Some(s) => Cow::Borrowed(s),
            None => {
                self.row(i, &mut buf)?;
                return Ok(Cow::Owned(buf));
            }
        };
        if !crate::dsp::decode::all_finite(&row) {
            return Err(not_finite());
        }
        Ok(row)
    }

    /// Row `i` as float32: the row itself where it is contiguous float32, else converted (or
    /// gathered) into `buf`. Non-finite samples are librosa's error.
    pub(crate) fn row<'b>(&'b self, i: usize, buf: &'b mut Vec<f32>) -> Result<&'b [f32]> {
        let row: &[f32] = match self {
            RowsView::F32(a) => match a.index_axis(Axis(0), i).to_slice() {
                Some(s) => s,
                None => {
                    buf.clear();
                    buf.extend(a.index_axis(Axis(0), i).iter());
                    buf
                }
            },
            RowsView::F64(a) => {
                buf.clear();
                buf.extend(a.index_axis(Axis(0), i).iter().map(|&x| x as f32));
                buf
            }
        };
        if !crate::dsp::decode::all_finite(row) {
            return Err(not_finite());
        }
        Ok(row)
    }
}

/// librosa's error for audio holding NaN or infinity (`util.valid_audio`).
fn not_finite() -> Error {
    Error::Parameter("audio buffer is not finite everywhere".into())
}

/// An element of an output array: float32, or float64 (what a float64 input gives, as librosa;
/// computed in float32 all the same).
pub(crate) trait OutElement: numpy::Element + Copy + Default + Send + Sync {
    /// Stores the float32 results `from` into `to`.
    fn store(to: &mut [Self], from: &[f32]);
    /// The slot itself where results can be computed straight into it (float32); else they
    /// go to a scratch buffer first.
    fn as_f32(slot: &mut [Self]) -> Option<&mut [f32]>;
}

impl OutElement for f32 {
    fn store(to: &mut [f32], from: &[f32]) {
        to.copy_from_slice(from);
    }
    fn as_f32(slot: &mut [f32]) -> Option<&mut [f32]> {
        Some(slot)
    }
}

impl OutElement for f64 {
    fn store(to: &mut [f64], from: &[f32]) {
        to.iter_mut().zip(from).for_each(|(t, &f)| *t = f64::from(f));
    }
    fn as_f32(_: &mut [f64]) -> Option<&mut [f32]> {
        None
    }
}

/// Rows a task can read: a [`RowsView`] (numpy's), or slices of a buffer of float32 rows.
pub(crate) trait RowSource: Sync {
    /// The number of rows.
    fn count(&self) -> usize;
    /// Row `i` as float32, borrowed, or made in `buf`.
    fn get<'b>(&'b self, i: usize, buf: &'b mut Vec<f32>) -> Result<&'b [f32]>;
}

impl RowSource for RowsView<'_> {
    fn count(&self) -> usize {
        self.dim().0
    }
    fn get<'b>(&'b self, i: usize, buf: &'b mut Vec<f32>) -> Result<&'b [f32]> {
        self.row(i, buf)
    }
}

impl RowSource for [&[f32]] {
    fn count(&self) -> usize {
        self.len()
    }
    fn get<'b>(&'b self, i: usize, _: &'b mut Vec<f32>) -> Result<&'b [f32]> {
        Ok(self[i])
    }
}

/// `f(row, out)` for every row of `rows` on `workers` threads, with the GIL released: row `i`
/// (float32, see [`RowsView::row`]) gives the `size` values of `out`, the `i`-th slot of one
/// output array of `shape` (its product is `rows * size`), float64 when `float64`, else float32.
/// The first row's error is raised.
pub(crate) fn map_rows<'py, R, F>(
    py: Python<'py>,
    rows: &R,
    workers: Option<usize>,
    size: usize,
    shape: Vec<usize>,
    float64: bool,
    f: F,
) -> PyResult<Bound<'py, PyAny>>
where
    R: RowSource + ?Sized,
    F: Fn(&[f32], &mut [f32]) -> Result<()> + Sync,
{
    map_indexed_rows(py, rows, workers, size, shape, float64, |_, row, out| f(row, out))
}

/// As [`map_rows`], `f` also given the row's index.
pub(crate) fn map_indexed_rows<'py, R, F>(
    py: Python<'py>,
    rows: &R,
    workers: Option<usize>,
    size: usize,
    shape: Vec<usize>,
    float64: bool,
    f: F,
) -> PyResult<Bound<'py, PyAny>>
where
    R: RowSource + ?Sized,
    F: Fn(usize, &[f32], &mut [f32]) -> Result<()> + Sync,
{
    if float64 {
        Ok(map_rows_as::<f64, R, F>(py, rows, workers, size, shape, f)?.into_any())
    } else {
        Ok(map_rows_as::<f32, R, F>(py, rows, workers, size, shape, f)?.into_any())
    }
}

fn map_rows_as<'py, T: OutElement, R, F>(
    py: Python<'py>,
    rows: &R,
    workers: Option<usize>,
    size: usize,
    shape: Vec<usize>,
    f: F,
) -> PyResult<Bound<'py, numpy::PyArrayDyn<T>>>
where
    R: RowSource + ?Sized,
    F: Fn(usize, &[f32], &mut [f32]) -> Result<()> + Sync,
{
    let n = rows.count();
    let mut data = vec![T::default(); n * size];
    let items: Vec<usize> = (0..n).collect();
    check(py.detach(|| -> Result<()> {
        run_parallel_into(workers, &items, &mut data, size, |&i, slot| {
            let mut buf = Vec::new();
            let row = rows.get(i, &mut buf)?;
            match T::as_f32(slot) {
                Some(direct) => f(i, row, direct),
                None => {
                    let mut scratch = vec![0.0f32; size];
                    f(i, row, &mut scratch)?;
                    T::store(slot, &scratch);
                    Ok(())
                }
            }
        })?
        .into_iter()
        .collect()
    }))?;
    let array = ArrayD::from_shape_vec(shape, data).map_err(|e| Error::Internal(format!("output shape: {e}")));
    Ok(check(array)?.into_pyarray(py))
}
