/* placeholder: the scan pipeline is being written */
