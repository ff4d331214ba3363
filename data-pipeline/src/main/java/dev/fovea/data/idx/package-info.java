/** The IDX source (MNIST, Fashion-MNIST): strict readers that name the file and the problem. */
package dev.fovea.data.idx;
