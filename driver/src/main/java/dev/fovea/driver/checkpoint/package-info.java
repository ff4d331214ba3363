/** Checkpoints of a run and their atomic store on any Hadoop file system. Depends on nothing else of Fovea. */
package dev.fovea.driver.checkpoint;
