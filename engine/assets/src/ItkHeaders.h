#pragma once
// ITK's headers, for any compiler. Debian's ITK 5.2 was configured by GCC and its
// itk_compiler_detection.h stops with "Unsupported compiler" under clang (the fuzz preset):
// its configuration is read as GCC 12's, which is what the library was built with.
#if defined(__clang__)
#pragma push_macro("__clang__")
#pragma push_macro("__GNUC__")
#pragma push_macro("__GNUC_MINOR__")
#undef __clang__
#undef __GNUC__
#undef __GNUC_MINOR__
#define __GNUC__ 12       // NOLINT(bugprone-reserved-identifier): the point of this file
#define __GNUC_MINOR__ 2  // NOLINT(bugprone-reserved-identifier)
#include <itkConfigure.h>
#pragma pop_macro("__GNUC_MINOR__")
#pragma pop_macro("__GNUC__")
#pragma pop_macro("__clang__")
#endif

#include <gdcmReader.h>
#include <gdcmTrace.h>
#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageSeriesReader.h>
#include <itkMetaDataObject.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>
#include <itkVectorImage.h>
