/**
 * Studies that train several networks with the ordinary training run and compare them:
 * {@link dev.fovea.driver.study.SuperResolutionStudy} (the lecture's checkerboard artefacts of
 * upsampling decoders) and its measures, {@link dev.fovea.driver.study.Checkerboard}. Depends on
 * the driver's training run and the data pipeline; nothing depends on it but the command line.
 */
package dev.fovea.driver.study;
