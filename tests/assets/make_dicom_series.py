#!/usr/bin/python3
"""Writes a small CT series for the import tests from pydicom's CT_small.dcm (python3-pydicom),
with identifiers planted in every slice.

usage: make_dicom_series.py OUT_DIR [--slices N] [--skip I] [--tilt MM] [--burned-in]
                            [--transfer-syntax UID] [--spacing MM] [--jitter MM]
                            [--offsets MM,MM,...]

--spacing: slice spacing (default 5 mm). --jitter: each slice's position moved by up to this
much (a fixed pattern), as scanners' rounding does. --offsets: one extra offset per slice (mm),
for a genuinely irregular series.

--transfer-syntax: the last slice is written in this transfer syntax; for a compressed one
(1.2.840.10008.1.2.4.x, RLE) it only claims it and carries its raw pixels as one encapsulated
fragment, as a file in, say, MPEG-2 would hold its stream.
"""
import argparse
import array
import os

import pydicom
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

PLANTED = {
    "PatientName": "PLANTED^NAME^QZX",
    "PatientID": "PLANTED-ID-4471",
    "PatientBirthDate": "19010203",
    "AccessionNumber": "PLANTED-ACC-9",
    "InstitutionName": "Planted General Hospital",
    "ReferringPhysicianName": "PLANTED^DOCTOR",
    "ImageComments": "planted comment xyzzy",
    "PatientComments": "planted patient note",
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--slices", type=int, default=6)
    p.add_argument("--skip", type=int, default=-1)
    p.add_argument("--tilt", type=float, default=0.0)
    p.add_argument("--burned-in", action="store_true")
    p.add_argument("--transfer-syntax")
    p.add_argument("--spacing", type=float, default=5.0)
    p.add_argument("--jitter", type=float, default=0.0)
    p.add_argument("--offsets", default="")
    p.add_argument("--ramp", action="store_true", help="slice i's pixels raised by 10 * i")
    a = p.parse_args()
    pattern = [0.0, 1.0, -0.8, 0.4, -1.0, 0.7, -0.3, 0.9, -0.6, 0.2]
    offsets = [float(v) for v in a.offsets.split(",")] if a.offsets else []
    os.makedirs(a.out, exist_ok=True)
    series = generate_uid(entropy_srcs=["trocar-test-series"])
    for i in range(a.slices):
        if i == a.skip:
            continue
        d = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        for k, v in PLANTED.items():
            setattr(d, k, v)
        x, y, z = (float(v) for v in d.ImagePositionPatient)
        along = a.spacing * i + a.jitter * pattern[i % len(pattern)] + (offsets[i] if i < len(offsets) else 0.0)
        d.ImagePositionPatient = [x + a.tilt * i, y, round(z + along, 2)]
        d.SliceLocation = round(z + along, 2)
        if a.ramp:
            pixels = array.array("h", d.PixelData)
            for k in range(len(pixels)):
                pixels[k] += 10 * i
            d.PixelData = pixels.tobytes()
        d.InstanceNumber = i + 1
        d.SeriesInstanceUID = series
        d.SOPInstanceUID = generate_uid(entropy_srcs=["trocar-test", str(i)])
        d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
        if a.burned_in:
            d.BurnedInAnnotation = "YES"
        if a.transfer_syntax and i == a.slices - 1:
            d.file_meta.TransferSyntaxUID = a.transfer_syntax
            d.is_little_endian = True
            d.is_implicit_VR = a.transfer_syntax == "1.2.840.10008.1.2"
            if a.transfer_syntax.startswith("1.2.840.10008.1.2.4.") or a.transfer_syntax == "1.2.840.10008.1.2.5":
                d.PixelData = encapsulate([d.PixelData])
                d["PixelData"].VR = "OB"
        # Written in reverse order under shuffled names: the reader must sort by position.
        d.save_as(os.path.join(a.out, "slice-%02d.dcm" % ((a.slices - i) * 7 % 13)))


if __name__ == "__main__":
    main()
