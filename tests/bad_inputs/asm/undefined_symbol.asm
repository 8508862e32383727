	goto nowhere
